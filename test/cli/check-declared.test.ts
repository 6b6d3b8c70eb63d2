// `check` with a declared HAProxy config: a live weight other than the
// declared one is a drift, printed with declared and live side by side, and
// the concentrating drift makes check exit 1 (LoadBalancerConfigDrift holds).
// Running as declared: exit 0, no drift line.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { main } from '../../src/cli.js';
import { startServer, json } from '../fakes/http-server.js';

let s1Weight = 1;
const vector = (result: Array<[Record<string, string>, number]>) => ({ status: 'success', data: { resultType: 'vector', result: result.map(([metric, v]) => ({ metric, value: [0, String(v)] })) } });
const servers = ['s1', 's2', 's3', 's4'];
const prom = await startServer((req, _b, res) => {
  const q = new URL(req.url!, 'http://x').searchParams.get('query') ?? '';
  const value = (s: string) => (q.includes('haproxy_server_status') ? 1 : q.includes('last_change') ? 3600 : q.includes('haproxy_server_weight') ? (s === 's1' ? s1Weight : 1) : q.includes('responses') || q.includes('sessions_total') ? (s === 's1' && s1Weight > 1 ? 99 : 25) : 0);
  json(res, 200, vector(servers.map((s) => [{ proxy: 'be_app', server: s }, value(s)])));
});
after(() => prom.close());

class Sink extends Writable {
  text = '';
  override _write(c: Buffer, _e: string, cb: () => void) { this.text += c.toString('utf8'); cb(); }
}
const dir = mkdtempSync(join(tmpdir(), 'skewwatch-check-declared-'));
writeFileSync(join(dir, 'haproxy.cfg'), `backend be_app\n${servers.map((s, i) => `  server ${s} 127.0.0.1:${9000 + i} check\n`).join('')}`);

async function check(json = false) {
  const out = new Sink();
  const err = new Sink();
  const env = { SKEWWATCH_PROMETHEUS_URL: prom.url, SKEWWATCH_HAPROXY_CONFIG: join(dir, 'haproxy.cfg'), SKEWWATCH_STATE_DIR: join(dir, 'state') };
  const code = await main(['check', ...(json ? ['--json'] : [])], { out, err, env });
  return { code, out: out.text, err: err.text };
}

test('check: running as declared is balanced, no drift line', async () => {
  s1Weight = 1;
  const r = await check();
  assert.equal(r.code, 0, r.err + r.out);
  assert.doesNotMatch(r.out, /runs something other than declared/);
});

test('check: s1 at weight 256 against a declared 1 is a concentrating drift: printed, exit 1, in the JSON', async () => {
  s1Weight = 256;
  const r = await check();
  assert.equal(r.code, 1, r.err);
  assert.match(r.out, /be_app: be_app runs something other than declared: s1's weight is 256 live, 1 declared \(99% of be_app's weight instead of 25%\)/);
  const j = JSON.parse((await check(true)).out) as { alerting: Record<string, string[]>; pools: { drift?: { level: number } }[] };
  assert.equal(j.pools[0]!.drift!.level, 2);
  assert.ok(j.alerting['be_app']!.includes('LoadBalancerConfigDriftCritical'));
});
