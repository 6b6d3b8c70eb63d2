// Issue 11 items 1 and 2 at the command line: `check` never says
// "balanced" while blind. A CPU query that fails or joins no backend exits 2
// naming source.queries.cpu; zero pools exits 2 with a clear message.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { main } from '../../src/cli.js';
import { startServer, json } from '../fakes/http-server.js';

type Mode = 'ok' | 'cpu-error' | 'cpu-unjoined' | 'no-pools';
let mode: Mode = 'ok';
const vector = (result: Array<[Record<string, string>, number]>) => ({ status: 'success', data: { resultType: 'vector', result: result.map(([metric, v]) => ({ metric, value: [0, String(v)] })) } });
const prom = await startServer((req, _b, res) => {
  const q = new URL(req.url!, 'http://x').searchParams.get('query') ?? '';
  if (mode === 'no-pools') return json(res, 200, vector([]));
  if (q.includes('fake_cpu')) {
    if (mode === 'cpu-error') return json(res, 400, { status: 'error', errorType: 'bad_data', error: 'parse error' });
    if (mode === 'cpu-unjoined') return json(res, 200, vector([[{ instance: 'a:9100' }, 0.5], [{ instance: 'b:9100' }, 0.5]]));
    return json(res, 200, vector([[{ proxy: 'be_app', server: 's1' }, 0.3], [{ proxy: 'be_app', server: 's2' }, 0.3]]));
  }
  // Health is 1 (UP) per server; every other signal 50.
  const v = q.includes('haproxy_server_status') ? 1 : 50;
  json(res, 200, vector([[{ proxy: 'be_app', server: 's1' }, v], [{ proxy: 'be_app', server: 's2' }, v]]));
});
after(() => prom.close());

class Sink extends Writable {
  text = '';
  override _write(c: Buffer, _e: string, cb: () => void) { this.text += c.toString('utf8'); cb(); }
}

async function check(): Promise<{ code: number; out: string; err: string }> {
  const out = new Sink();
  const err = new Sink();
  const env = { SKEWWATCH_PROMETHEUS_URL: prom.url, SKEWWATCH_CPU_QUERY: 'fake_cpu' };
  const code = await main(['check'], { out, err, env });
  return { code, out: out.text, err: err.text };
}

test('check: 0 when every signal joins', async () => {
  mode = 'ok';
  const r = await check();
  assert.equal(r.code, 0, r.err);
});

test('check: a failing CPU query exits 2 naming source.queries.cpu', async () => {
  mode = 'cpu-error';
  const r = await check();
  assert.equal(r.code, 2);
  assert.match(r.err, /signal missing: source\.queries\.cpu \(cpu\): query failed/);
});

test('check: a CPU query that joins no backend exits 2 naming it', async () => {
  mode = 'cpu-unjoined';
  const r = await check();
  assert.equal(r.code, 2);
  assert.match(r.err, /signal missing: source\.queries\.cpu \(cpu\): none of its 2 series joins a backend/);
  assert.match(r.out, /be_app/, 'the table is still printed');
});

test('check: zero pools exits 2 with a clear message', async () => {
  mode = 'no-pools';
  const r = await check();
  assert.equal(r.code, 2);
  assert.match(r.err, /no pools found: the rate query matched nothing usable; check source\.matchers, source\.preset/);
});
