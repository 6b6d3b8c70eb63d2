// Self-tests of the e2e harness against the real binaries (HAProxy 2.6,
// Prometheus 2.42, Alertmanager 0.25). They prove the measuring instruments
// agree with each other before any skewwatch scenario relies on them.
// Run: node --import tsx --test test/e2e/harness.test.ts
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import {
  Timeline,
  alivePids,
  countByServer,
  parseShowStat,
  registeredPids,
  renderHaproxyConfig,
  requireBinaries,
  sleep,
  startFleet,
  startLoad,
  waitFor,
  type Fleet,
} from './harness/index.js';

// --- Pure parts: no binaries needed -----------------------------------------

describe('harness units', () => {
  it('parses show stat CSV by header name', () => {
    const csv = [
      '# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,hrsp_2xx,hrsp_5xx,',
      'be_app,s1,3,10,2,5,,100,0,0,,0,,1,0,0,0,UP,256,98,2,',
      'be_app,BACKEND,0,0,2,5,,100,0,0,0,0,,1,0,0,0,UP,258,98,2,',
      '',
    ].join('\n');
    const rows = parseShowStat(csv);
    assert.equal(rows.length, 2);
    assert.deepEqual(
      { proxy: rows[0]!.proxy, server: rows[0]!.server, qcur: rows[0]!.qcur, stot: rows[0]!.stot, weight: rows[0]!.weight, hrsp5xx: rows[0]!.hrsp5xx, status: rows[0]!.status, econ: rows[0]!.econ },
      { proxy: 'be_app', server: 's1', qcur: 3, stot: 100, weight: 256, hrsp5xx: 2, status: 'UP', econ: 1 },
    );
  });

  it('renders the HAProxy config with the admin socket, exporter and per-server options', () => {
    const cfg = renderHaproxyConfig({
      dir: '/tmp/x',
      frontendPort: 1,
      exporterPort: 2,
      balance: 'source',
      servers: [{ name: 's1', port: 3, weight: 8, maxconn: 10 }],
    });
    assert.match(cfg, /stats socket \/tmp\/x\/admin\.sock mode 600 level admin/);
    assert.match(cfg, /use-service prometheus-exporter if \{ path \/metrics \}/);
    assert.match(cfg, /balance source/);
    assert.match(cfg, /server s1 127\.0\.0\.1:3 weight 8 maxconn 10 check inter 500ms/);
  });

  it('computes lead time as first 5xx minus PagerDuty trigger', () => {
    const tl = new Timeline('unit', 1000);
    tl.record('pagerduty-trigger', undefined, 5000);
    tl.record('first-5xx', undefined, 65000);
    tl.recordOnce('first-5xx', undefined, 70000);
    assert.equal(tl.leadTimeMs(), 60000);
    assert.equal(tl.events.length, 2);
  });

  it('missing binaries: skip reason on a dev machine, failure in CI, both with the install hint', () => {
    const hint = 'install with: apt-get install -y haproxy prometheus prometheus-alertmanager';
    let printed = '';
    const reason = requireBinaries(['skewwatch-no-such-binary'], {}, (m) => (printed += m));
    assert.ok(reason?.includes(hint), String(reason));
    assert.ok(printed.includes('SKIPPING') && printed.includes(hint), 'the skip is announced, not silent');
    assert.throws(() => requireBinaries(['skewwatch-no-such-binary'], { CI: 'true' }), (e: Error) => e.message.includes(hint));
    assert.equal(requireBinaries(['sh'], { CI: 'true' }), undefined);
  });

  it('load generator is open loop and caps in-flight requests', async () => {
    // A server that never answers within the run: a closed loop would send
    // maxInFlight requests and stop; an open loop keeps firing and drops.
    const held: http.ServerResponse[] = [];
    const srv = http.createServer((_req, res) => held.push(res));
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    try {
      const run = startLoad({ url: `http://127.0.0.1:${port}/`, rate: 200, durationMs: 1000, maxInFlight: 20, requestTimeoutMs: 300 });
      const r = await run.done;
      // 20 slots each held 300 ms serve ~66 req/s of the 200 due: ~130 drops.
      assert.ok(r.dropped >= 100, `expected drops beyond the in-flight cap, got ${r.dropped}`);
      assert.ok(r.errors >= 20, `timed-out requests count as errors, got ${r.errors}`);
      assert.ok(r.sent + r.dropped >= 180 && r.sent + r.dropped <= 210, `schedule kept: ${r.sent + r.dropped}`);
      assert.equal(r.ok2xx, 0);
    } finally {
      held.forEach((res) => res.destroy());
      srv.closeAllConnections();
      await new Promise((r) => srv.close(r));
    }
  });
});

// --- Real binaries ----------------------------------------------------------

// In CI this throws (the suite must fail); on a dev machine it returns the reason to skip.
const skip = requireBinaries(['haproxy', 'prometheus', 'prometheus-alertmanager']);

describe('harness on real HAProxy + Prometheus + Alertmanager', { skip, timeout: 180_000 }, () => {
  let fleet: Fleet | undefined;
  const pids = new Set<number>();

  before(async () => {
    fleet = await startFleet({
      backends: [{ cpuMs: 4 }, { cpuMs: 4 }, { cpuMs: 4 }],
      alertmanager: true,
      scrapeIntervalS: 1,
    });
    fleet.pids().forEach((p) => pids.add(p));
  });

  after(async () => {
    // Runs even when a test failed: nothing may outlive the suite.
    await fleet?.stopAll();
  });

  it('splits 150 req/s evenly, and HAProxy, Prometheus and the client agree', async (t) => {
    const f = fleet!;
    const before = await f.haproxy.runtime.servers('be_app');
    const run = startLoad({ url: `${f.haproxy.frontendUrl}/`, rate: 150, durationMs: 12_000 });
    const r = await run.done;
    assert.equal(r.err5xx + r.errors + r.dropped, 0, `clean run expected: ${JSON.stringify({ e5: r.err5xx, err: r.errors, drop: r.dropped })}`);

    // Ground truth: HAProxy's own per-server session counters.
    const afterRows = await f.haproxy.runtime.servers('be_app');
    const deltas = afterRows.map((a) => a.stot - (before.find((b) => b.server === a.server)?.stot ?? 0));
    const total = deltas.reduce((s, d) => s + d, 0);
    assert.ok(total >= 1700, `HAProxy counted ${total} requests`);
    for (const d of deltas) assert.ok(Math.abs(d - total / 3) <= 0.1 * (total / 3), `uneven roundrobin split ${deltas}`);

    // Prometheus rate over the last 10 s of steady load vs what the client saw.
    const evalAt = r.startedAt + 11_000;
    await sleep(Math.max(0, evalAt + 2500 - Date.now())); // let a scrape after evalAt land
    const series = await f.prometheus!.query('sum by (proxy, server) (rate(haproxy_server_http_responses_total[10s]))', evalAt);
    const client = countByServer(r.records, evalAt - 10_000, evalAt);
    assert.equal(series.length, 3, `three series expected: ${JSON.stringify(series)}`);
    for (const s of series) {
      assert.equal(s.metric.proxy, 'be_app');
      const observed = (client[s.metric.server!] ?? 0) / 10;
      assert.ok(observed > 0, `client saw nothing from ${s.metric.server}`);
      const relErr = Math.abs(s.value - observed) / observed;
      t.diagnostic(`${s.metric.server}: prometheus ${s.value.toFixed(2)}/s, client ${observed.toFixed(2)}/s, haproxy stot delta ${deltas.join('/')}`);
      assert.ok(relErr <= 0.15, `${s.metric.server}: prometheus ${s.value.toFixed(1)}/s vs client ${observed.toFixed(1)}/s (${(relErr * 100).toFixed(0)}%)`);
    }
    // Backends' own CPU is scraped with HAProxy's labels.
    const cpu = await f.prometheus!.query('sum by (proxy, server) (rate(process_cpu_seconds_total{job="backends"}[10s]))', evalAt);
    assert.deepEqual(cpu.map((s) => s.metric.server).sort(), ['s1', 's2', 's3']);
  });

  it('moves traffic within a few seconds of `set weight be_app/s1 256`', async (t) => {
    const f = fleet!;
    const timeline = new Timeline('harness-set-weight');
    const run = startLoad({ url: `${f.haproxy.frontendUrl}/`, rate: 100, durationMs: 8000 });
    await sleep(3000);
    const changedAt = Date.now();
    // Others stay at weight 1, so s1 should get 256/258 of the traffic.
    await f.haproxy.runtime.setWeight('be_app', 's1', 256);
    timeline.record('fault', { action: 'set weight be_app/s1 256' }, changedAt);
    const r = await run.done;
    const s1 = (await f.haproxy.runtime.servers('be_app')).find((x) => x.server === 's1')!;
    assert.equal(s1.weight, 256);

    const shareS1 = (from: number, to: number) => {
      const c = countByServer(r.records, from, to);
      const total = Object.values(c).reduce((a, b) => a + b, 0);
      return total ? (c.s1 ?? 0) / total : 0;
    };
    assert.ok(shareS1(r.startedAt, changedAt) < 0.45, 'even before the change');
    // First 500 ms window after the change where s1 has > 90%.
    let movedAfterMs = Infinity;
    for (let t = changedAt; t < r.endedAt; t += 250) {
      if (shareS1(t, t + 500) > 0.9) {
        movedAfterMs = t - changedAt;
        break;
      }
    }
    t.diagnostic(`traffic moved ${movedAfterMs} ms after set weight; s1 share after: ${shareS1(changedAt + 2000, r.endedAt).toFixed(3)}`);
    timeline.record('note', { movedAfterMs }, changedAt + movedAfterMs);
    t.diagnostic(`timeline: ${timeline.write()}`);
    assert.ok(movedAfterMs <= 2000, `traffic moved after ${movedAfterMs} ms`);
    assert.ok(shareS1(changedAt + 2000, r.endedAt) > 0.9, `s1 share after change ${shareS1(changedAt + 2000, r.endedAt)}`);
    // FIELD-NOTES: visible in haproxy_server_weight within one scrape.
    await waitFor('haproxy_server_weight 256 in Prometheus', async () => {
      const w = await f.prometheus!.query('haproxy_server_weight{proxy="be_app",server="s1"}');
      return w[0]?.value === 256;
    }, 5000);
    await f.haproxy.runtime.setWeight('be_app', 's1', 1);
  });

  it('reloads HAProxy with a new balance algorithm (new pid, old one gone)', async () => {
    const f = fleet!;
    const oldPid = f.haproxy.proc().pid;
    await f.haproxy.reload({ balance: 'source' });
    const newPid = f.haproxy.proc().pid;
    pids.add(newPid);
    assert.notEqual(newPid, oldPid);
    assert.deepEqual(alivePids([oldPid]), []);
    await f.haproxy.waitServersUp();
    const r = await startLoad({ url: `${f.haproxy.frontendUrl}/`, rate: 50, durationMs: 1000 }).done;
    assert.ok(r.ok2xx >= 45 && r.err5xx === 0, `served after reload: ${r.ok2xx} ok, ${r.err5xx} 5xx`);
  });

  it('Alertmanager accepts a posted alert and lists it', async () => {
    const am = fleet!.alertmanager!;
    await am.postAlerts([{ labels: { alertname: 'HarnessSelfTest', severity: 'none' }, annotations: { summary: 'e2e harness self-test' } }]);
    const listed = await waitFor('alert listed', async () => (await am.listAlerts({ alertname: 'HarnessSelfTest' }))[0], 10_000);
    assert.equal(listed.labels.alertname, 'HarnessSelfTest');
    assert.equal(listed.status.state, 'active');
  });

  it('stopAll leaves no process behind', async () => {
    const f = fleet!;
    f.pids().forEach((p) => pids.add(p));
    await f.stopAll();
    fleet = undefined;
    assert.deepEqual(alivePids([...pids]), []);
    assert.deepEqual(registeredPids(), []);
  });
});
