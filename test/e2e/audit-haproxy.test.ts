// `skewwatch audit` and the runtime-API restore against a real HAProxy 2.6:
// the harness' own generated config audits clean of syntax errors (and
// haproxy -c agrees), `--against` its exporter shows no drift, then a
// runtime `set weight be_app/s1 256` shows as a concentrating weight drift
// with declared and live side by side, and setWeight() through the admin
// socket puts the declared weight back.
//
// Run: node --import tsx --test test/e2e/audit-haproxy.test.ts
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { captureIo } from '../fakes/cli-io.js';
import { makeTempDir, requireBinaries, socketPathFor, startBackend, startHaproxy, waitFor, type BackendHandle, type HaproxyHandle } from './harness/index.js';
import { main } from '../../src/cli.js';
import { setWeight } from '../../src/remediate/haproxy-runtime.js';

const skip = requireBinaries(['haproxy']);

/** The command's io, with haproxy on PATH (Debian puts it in /usr/sbin). */
const io = () => captureIo({ PATH: `${process.env.PATH ?? ''}:/usr/sbin` });

interface Report {
  findings: { ruleId: string; message: string }[];
  haproxy: { valid: boolean | null };
  live: { drift: { pool: string; level: number; items: { backend: string; kind: string; declared: string; live: string }[] }[]; undeclaredPools: string[] };
}

describe('audit and restore against real HAProxy', { skip }, () => {
  let haproxy: HaproxyHandle;
  const backends: BackendHandle[] = [];
  const dir = skip ? '' : makeTempDir('skewwatch-audit-');

  before(async () => {
    for (const name of ['s1', 's2', 's3', 's4']) backends.push(await startBackend({ name, cpuMs: 1, logDir: dir }));
    haproxy = await startHaproxy({ dir, servers: backends.map((b) => ({ name: b.name, port: b.port, weight: 1, maxconn: 20 })), checkInterMs: 200 });
    await haproxy.waitServersUp();
  });
  after(async () => {
    await haproxy?.stop();
    for (const b of backends) await b.stop();
  });

  async function audit(): Promise<{ code: number; report: Report }> {
    const c = io();
    const code = await main(['audit', '--haproxy-config', haproxy.cfgFile, '--against', haproxy.exporterUrl, '--format', 'json', '--fail-on', 'error'], c.io);
    assert.equal(c.err(), '');
    return { code, report: JSON.parse(c.out()) as Report };
  }

  it('the running config audits without errors and runs as declared', async () => {
    const { code, report } = await audit();
    assert.equal(report.haproxy.valid, true);
    assert.deepEqual(report.findings.filter((f) => f.ruleId === 'SW000'), []);
    const be = report.live.drift.find((d) => d.pool === 'be_app')!;
    assert.equal(be.level, 0, JSON.stringify(be));
    assert.equal(code, 0);
  });

  it('a runtime set weight 256 is a concentrating drift; setWeight restores the declared weight', async () => {
    await haproxy.runtime.setWeight('be_app', 's1', 256);
    const { code, report } = await audit();
    const be = report.live.drift.find((d) => d.pool === 'be_app')!;
    assert.equal(be.level, 2);
    assert.deepEqual(be.items, [{ backend: 's1', kind: 'weight', declared: '1', live: '256' }]);
    assert.equal(code, 1);

    await setWeight(`unix:${socketPathFor(dir)}`, 'be_app', 's1', 1);
    await waitFor('s1 back to weight 1', async () => (await haproxy.runtime.servers('be_app')).find((r) => r.server === 's1')?.weight === 1, 5000, 100);
    const again = await audit();
    assert.equal(again.report.live.drift.find((d) => d.pool === 'be_app')!.level, 0);
  });

  it('HAProxy refusing a runtime command is an error with its own words', async () => {
    await assert.rejects(setWeight(socketPathFor(dir), 'be_app', 'nope', 1), /HAProxy refused "set weight be_app\/nope 1": No such server/);
  });
});
