// The incident suite: on real HAProxy, Prometheus and Alertmanager, with
// CPU-bound backends and an open-loop load, skewwatch must page BEFORE the
// first 5xx in every fault scenario, resolve exactly once after the repair,
// and stay quiet in every no-fault scenario. Timelines (with lead times) go
// to test-results/e2e/<scenario>.json.
//
// Timing is compressed (Prometheus scrapes every 1 s, skewwatch evaluates
// every 2 s over a 10 s rate window, rules wait 6 s to page), so a scenario
// plays in about a minute. Load ramps are slow enough that the machine's
// speed (2 cores shared with everything else) moves the first 5xx, not the
// order of events.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { requireBinaries, clientAddresses, ramp, sleep } from './harness/index.js';
import { startScene, type Scene } from './incidents/scenario.js';
import { runFault, quietScenario, type LeadTime } from './incidents/flows.js';
import { cli } from './incidents/skewwatch.js';
import { readRecording } from '../../src/replay/recording.js';

const skip = requireBinaries(['haproxy', 'prometheus', 'prometheus-alertmanager']);
const CPU_MS = 8; // per request: one backend saturates around 60-120 req/s here

/** Lead times of the fault scenarios, printed at the end for the README table. */
const leadTimes: LeadTime[] = [];
const faultScenario = (scene: Scene, name: string, inject: () => Promise<void>, repair: () => Promise<void>, ramped: (from: number) => void) =>
  runFault(scene, name, inject, repair, ramped, leadTimes);

describe('incident scenarios on real HAProxy, Prometheus and Alertmanager', { skip }, () => {
  before(() => assert.ok(!skip));

  it('fault: weights misconfigured, one server takes most traffic while load grows', async () => {
    // No maxconn: roundrobin cannot spill around the hot server; its own bounded
    // queue answers 503 once it saturates (counted per server, FIELD-NOTES).
    const scene = await startScene('weight-misconfig', { backends: [1, 2, 3].map(() => ({ weight: 1, cpuMs: CPU_MS, maxQueue: 20 })) });
    try {
      await scene.fleet.haproxy.waitServersUp();
      scene.startLoad({ rate: 30, durationMs: 300_000, clientAddresses: clientAddresses(20), requestTimeoutMs: 5000 });
      await faultScenario(
        scene,
        'weight-misconfig',
        // The typo: s1 weighted 8 instead of 1.
        () => scene.fleet.haproxy.runtime.setWeight('be_app', 's1', 8),
        () => scene.fleet.haproxy.runtime.setWeight('be_app', 's1', 1),
        () => scene.load!.setRate(ramp(30, 200, 110_000)),
      );
      await replayMatchesLive(scene);
    } finally {
      await scene.close();
    }
  });

  it('fault: source-hash stickiness, few client addresses pile onto one server', async () => {
    // Hash balancing does not spill: requests queue on the hot server and
    // HAProxy answers 503 after `timeout queue` (backend-level 503s).
    const scene = await startScene('sticky-clients', {
      backends: [1, 2, 3].map(() => ({ weight: 1, cpuMs: CPU_MS, maxconn: 10 })),
      balance: 'source',
    });
    try {
      await scene.fleet.haproxy.waitServersUp();
      await sleep(1500); // the source-hash map changes once the first checks pass
      const many = clientAddresses(60);
      scene.startLoad({ rate: 30, durationMs: 300_000, clientAddresses: many, requestTimeoutMs: 5000 });
      // Where does each client address land? Probe, then keep the few that
      // map to one server (plus one elsewhere): a handful of sticky clients.
      const mapping = await probeMapping(scene.fleet.haproxy.frontendUrl, many.slice(0, 24));
      const byServer = new Map<string, string[]>();
      for (const [addr, server] of mapping) byServer.set(server, [...(byServer.get(server) ?? []), addr]);
      const [hot, hotAddrs] = [...byServer.entries()].sort((a, b) => b[1].length - a[1].length)[0]!;
      const other = mapping.find(([, s]) => s !== hot)!;
      const sticky = [...hotAddrs.slice(0, 4), other[0]];
      scene.timeline.record('note', { hot, sticky });
      await faultScenario(
        scene,
        'sticky-clients',
        async () => {
          scene.startLoad({ rate: 30, durationMs: 300_000, clientAddresses: sticky, requestTimeoutMs: 5000 });
        },
        async () => {
          scene.startLoad({ rate: 40, durationMs: 300_000, clientAddresses: many, requestTimeoutMs: 5000 });
        },
        () => scene.load!.setRate(ramp(30, 200, 110_000)),
      );
    } finally {
      await scene.close();
    }
  });

  it('no fault: healthy growth to ~70% of capacity', async () => {
    const scene = await startScene('healthy-growth', { backends: [1, 2, 3].map(() => ({ weight: 1, cpuMs: CPU_MS, maxQueue: 50 })) });
    try {
      await scene.fleet.haproxy.waitServersUp();
      // Calibrated capacity is 55-120 req/s per backend here: grow to ~40 each.
      scene.startLoad({ rate: ramp(20, 120, 40_000), durationMs: 60_000, clientAddresses: clientAddresses(20), requestTimeoutMs: 5000 });
      await quietScenario(scene, 'healthy-growth', 55_000);
    } finally {
      await scene.close();
    }
  });

  it('no fault: a correct weighted config on unequal backends', async () => {
    // s1 is twice as fast (half the CPU per request) and weighted 2:1:1.
    const scene = await startScene('weighted-unequal', {
      backends: [{ weight: 2, cpuMs: CPU_MS / 2, maxQueue: 50 }, { weight: 1, cpuMs: CPU_MS, maxQueue: 50 }, { weight: 1, cpuMs: CPU_MS, maxQueue: 50 }],
    });
    try {
      await scene.fleet.haproxy.waitServersUp();
      scene.startLoad({ rate: ramp(20, 100, 30_000), durationMs: 50_000, clientAddresses: clientAddresses(20), requestTimeoutMs: 5000 });
      await quietScenario(scene, 'weighted-unequal', 45_000);
      const status = await scene.sw.status();
      const pool = status.pools.find((p) => p.pool === 'be_app')!;
      const s1 = pool.backends.find((b) => b.backend === 's1')!;
      assert.ok(s1.share > 0.4 && s1.share < 0.6, `s1 takes about half (${s1.share})`);
    } finally {
      await scene.close();
    }
  });

  it('no fault: one backend lost, the rest share evenly', async () => {
    const scene = await startScene('backend-lost', { backends: [1, 2, 3].map(() => ({ weight: 1, cpuMs: CPU_MS, maxQueue: 50 })) });
    try {
      await scene.fleet.haproxy.waitServersUp();
      scene.startLoad({ rate: 50, durationMs: 60_000, clientAddresses: clientAddresses(20), requestTimeoutMs: 5000 });
      await quietScenario(scene, 'backend-lost', 50_000, async () => {
        await sleep(15_000);
        await scene.fleet.backends[2]!.stop(); // the process dies; HAProxy marks s3 DOWN
        scene.timeline.record('note', 's3 killed');
      });
      const status = await scene.sw.status();
      const pool = status.pools.find((p) => p.pool === 'be_app')!;
      assert.equal(pool.severity, 'ok', pool.explanation);
    } finally {
      await scene.close();
    }
  });

  it('no fault: very low traffic with natural noise', async () => {
    // Source hashing over 30 client addresses at 2 req/s: uneven by chance, and too little to mean anything.
    const scene = await startScene('low-traffic', { backends: [1, 2, 3].map(() => ({ weight: 1, cpuMs: CPU_MS })), balance: 'source' });
    try {
      await scene.fleet.haproxy.waitServersUp();
      scene.startLoad({ rate: 2, durationMs: 45_000, clientAddresses: clientAddresses(30), requestTimeoutMs: 5000 });
      await quietScenario(scene, 'low-traffic', 40_000);
    } finally {
      await scene.close();
    }
  });

  it('reports the lead times', () => {
    // Printed for the README's table; each scenario's JSON is in test-results/e2e/.
    console.log(`E2E lead times: ${JSON.stringify(leadTimes)}`);
    assert.ok(leadTimes.every((l) => (l.leadTimeS as number) > 0));
  });
});

/** Which server answers each client address (X-Backend), with keep-alive off. */
async function probeMapping(url: string, addrs: string[]): Promise<Array<[string, string]>> {
  const http = await import('node:http');
  const out: Array<[string, string]> = [];
  for (const localAddress of addrs) {
    const server = await new Promise<string>((resolve) => {
      const req = http.get(url, { localAddress, agent: false, timeout: 3000 }, (res) => {
        res.resume();
        resolve(String(res.headers['x-backend'] ?? ''));
      });
      req.on('error', () => resolve(''));
      req.on('timeout', () => req.destroy());
    });
    if (server) out.push([localAddress, server]);
  }
  return out;
}

/**
 * Issue 7: replay over the same real Prometheus reproduces the live alert
 * times within one evaluation step; replay over the recording exactly.
 */
async function replayMatchesLive(scene: Scene) {
  const status = await scene.sw.status();
  const live = status.alerts.find((a) => a.rule === 'TrafficSkewCritical' && a.pool === 'be_app');
  assert.ok(live?.firedAt, 'live firing time known');
  const rec = readRecording(scene.sw.recording);
  const from = rec.cycles[0]!.at;
  const to = rec.cycles[rec.cycles.length - 1]!.at;
  const firedIn = (json: string) => {
    const r = JSON.parse(json) as { transitions: Array<{ rule: string; to: string; at: number }> };
    return r.transitions.find((t) => t.rule === 'TrafficSkewCritical' && t.to === 'firing')?.at;
  };
  const fromRecording = await cli(['replay', '--config', scene.sw.configFile, '--recording', scene.sw.recording, '--json'], scene.sw.env, scene.fleet.dir);
  assert.equal(fromRecording.code, 1, fromRecording.stderr);
  assert.equal(firedIn(fromRecording.stdout), Date.parse(live.firedAt), 'replay of the recording: identical firing time');
  const fromPrometheus = await cli(['replay', '--config', scene.sw.configFile, '--from', String(from / 1000), '--to', String(to / 1000), '--step', '2s', '--json'], scene.sw.env, scene.fleet.dir);
  assert.equal(fromPrometheus.code, 1, fromPrometheus.stderr);
  const replayed = firedIn(fromPrometheus.stdout);
  assert.ok(replayed !== undefined, 'replay over Prometheus fires too');
  const diff = Math.abs(replayed - Date.parse(live.firedAt));
  scene.timeline.record('note', { replayFiredDiffMs: diff });
  assert.ok(diff <= 2000, `replay over Prometheus fired ${diff} ms from the live daemon (limit: one 2 s step)`);
}
