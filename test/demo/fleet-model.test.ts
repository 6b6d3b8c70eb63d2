import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createFleet,
  repair,
  setStatus,
  step,
  summarize,
  hotShareAfterFault,
  SATURATED,
  type FleetOptions,
  type FleetState,
  type Scenario,
} from '../../src/demo/fleet-model.js';

/** Run the model in `dt` steps until `until` seconds, calling `each` after every step. */
function run(s: FleetState, until: number, each?: (s: FleetState) => void, dt = 0.5): FleetState {
  let state = s;
  while (state.t < until - 1e-9) {
    state = step(state, Math.min(dt, until - state.t));
    each?.(state);
  }
  return state;
}

/** Share of arrivals per server between two states of the same run. */
function sharesBetween(a: FleetState, b: FleetState): number[] {
  const deltas = b.backends.map((x, i) => x.arrivedTotal - a.backends[i]!.arrivedTotal);
  const total = deltas.reduce((acc, d) => acc + d, 0);
  return deltas.map((d) => d / total);
}

function assertConserved(s: FleetState): void {
  for (const b of s.backends) {
    assert.equal(b.arrivedTotal, b.servedTotal + b.timedOutTotal + b.queue, `${b.name} at t=${s.t}`);
    assert.ok(b.queue >= 0);
  }
  const arrived = s.backends.reduce((acc, b) => acc + b.arrivedTotal, 0);
  assert.equal(arrived + s.noServerTotal, s.offeredTotal, `pool at t=${s.t}`);
  const served = s.backends.reduce((acc, b) => acc + b.servedTotal, 0);
  const timedOut = s.backends.reduce((acc, b) => acc + b.timedOutTotal, 0);
  assert.equal(s.backendResponses['2xx'], served);
  assert.equal(s.backendResponses['5xx'], timedOut + s.noServerTotal);
}

const SCENARIOS: Scenario[] = ['weight-misconfig', 'sticky-clients', 'healthy'];

test('requests are conserved per server: arrived == served + 503 + queued', () => {
  for (const scenario of SCENARIOS) {
    for (const seed of [1, 7, 42]) {
      run(createFleet({ scenario, seed, backends: 5 }), 120, assertConserved, 0.7);
    }
  }
});

test('conservation holds through repair, a DOWN server and all servers down', () => {
  let s = run(createFleet({ scenario: 'weight-misconfig', backends: 3 }), 106, assertConserved);
  assert.ok(s.backendResponses['5xx'] > 0, 'the scenario has started answering 503');
  s = repair(s);
  s = run(s, 110, assertConserved);
  s = setStatus(s, 's1', 'DOWN');
  s = run(s, 125, assertConserved);
  assert.equal(s.backends[0]!.arrivalRate < 1, true, 'a DOWN server gets no new traffic');
  s = setStatus(setStatus(s, 's2', 'MAINT'), 's3', 'DOWN');
  const before = s.noServerTotal;
  s = run(s, 128, assertConserved);
  assert.ok(s.noServerTotal > before, 'with nothing UP the balancer answers 503 itself');
});

test('the model is deterministic for a seed and varies with it', () => {
  const a = run(createFleet({ seed: 3 }), 60);
  const b = run(createFleet({ seed: 3 }), 60);
  const c = run(createFleet({ seed: 4 }), 60);
  assert.deepEqual(a, b);
  assert.notDeepEqual(
    a.backends.map((x) => x.cpu),
    c.backends.map((x) => x.cpu),
  );
});

test('weight-misconfig: the hot server saturates at ~60-70% of the run and 503s begin only after', () => {
  for (const backends of [2, 4, 50]) {
    const duration = 120;
    let cpuAtFirst5xx: number | null = null;
    let errorsBeforeSaturation = 0;
    const final = run(createFleet({ scenario: 'weight-misconfig', backends, durationSeconds: duration }), duration, (s) => {
      const hot = s.backends[1]!;
      if (hot.saturatedAt === null) errorsBeforeSaturation += s.backendResponses['5xx'];
      if (cpuAtFirst5xx === null && s.first5xxAt !== null) cpuAtFirst5xx = hot.cpu;
    });
    const hot = final.backends[1]!;
    assert.equal(hot.weight, 8);
    assert.equal(final.faultAt !== null && Math.abs(final.faultAt - 30) < 0.2, true);
    assert.ok(hot.saturatedAt !== null, `${backends}: hot server saturated`);
    assert.ok(hot.saturatedAt >= 0.58 * duration && hot.saturatedAt <= 0.72 * duration, `${backends}: saturated at ${hot.saturatedAt}`);
    assert.ok(final.first5xxAt !== null, `${backends}: 503s appeared`);
    assert.ok(final.first5xxAt > hot.saturatedAt, `${backends}: first 5xx ${final.first5xxAt} after saturation ${hot.saturatedAt}`);
    assert.equal(errorsBeforeSaturation, 0);
    assert.ok(cpuAtFirst5xx !== null && cpuAtFirst5xx >= 0.97, `${backends}: cpu ${cpuAtFirst5xx} at first 5xx`);
    // The balancer's 503s are backend-level; servers never answer 5xx themselves.
    assert.ok(final.backendResponses['5xx'] > 0);
    for (const b of final.backends) assert.equal(b.responses['5xx'], 0);
    assert.ok(hot.connectionErrorsTotal > 0);
    // Only the hot server is in trouble.
    for (const b of final.backends.filter((_, i) => i !== 1)) assert.ok(b.cpu < 0.5, `${b.name} cpu ${b.cpu}`);
    assert.ok(final.usersAffected > 0 && final.usersAffected <= final.options.users);
  }
});

test('healthy: even growth to ~70% CPU, never above 75%, no 5xx', () => {
  for (const backends of [2, 4, 50]) {
    let maxCpu = 0;
    const final = run(createFleet({ scenario: 'healthy', backends }), 150, (s) => {
      for (const b of s.backends) maxCpu = Math.max(maxCpu, b.cpu);
    });
    assert.ok(maxCpu < 0.75, `${backends}: max cpu ${maxCpu}`);
    assert.ok(maxCpu > 0.6, `${backends}: load did grow (max cpu ${maxCpu})`);
    assert.equal(final.backendResponses['5xx'], 0);
    assert.equal(final.first5xxAt, null);
    assert.equal(final.faultAt, null);
    for (const share of summarize(final).map((b) => b.share)) assert.ok(Math.abs(share - 1 / backends) < 0.02);
  }
});

test('sticky-clients: source hashing puts ~60% of the traffic on one server', () => {
  for (const backends of [2, 4, 10]) {
    const opts: FleetOptions = { scenario: 'sticky-clients', backends };
    const atFault = run(createFleet(opts), 32);
    assert.equal(atFault.balancing, 'source-hash');
    const later = run(atFault, 60);
    const shares = sharesBetween(atFault, later);
    assert.ok(Math.abs(shares[1]! - 0.6) < 0.03, `${backends}: hot share ${shares[1]}`);
    assert.equal(hotShareAfterFault(later.options), 0.6);
    // Before the fault the pool was balanced.
    const early = sharesBetween(run(createFleet(opts), 5), run(createFleet(opts), 25));
    for (const s of early) assert.ok(Math.abs(s - 1 / backends) < 0.02);
  }
});

test('repair() restores weights and even shares, and the hot queue drains', () => {
  for (const scenario of ['weight-misconfig', 'sticky-clients'] as const) {
    let s = run(createFleet({ scenario, backends: 4 }), 100);
    assert.ok(s.backends[1]!.queue > 0, `${scenario}: hot queue built up`);
    s = repair(s);
    assert.equal(s.repairedAt, s.t);
    assert.equal(s.balancing, 'weights');
    assert.deepEqual(
      s.backends.map((b) => b.weight),
      [1, 1, 1, 1],
    );
    const from = run(s, 105);
    const to = run(from, 120);
    for (const share of sharesBetween(from, to)) assert.ok(Math.abs(share - 0.25) < 0.01, `${scenario}: share ${share}`);
    assert.equal(to.backends[1]!.queue, 0);
  }
});

test('auto-fix before saturation: no 5xx at all', () => {
  let s = run(createFleet({ scenario: 'weight-misconfig' }), 45);
  s = repair(s);
  s = run(s, 120);
  assert.equal(s.first5xxAt, null);
  assert.equal(s.backendResponses['5xx'], 0);
  assert.equal(s.backends[1]!.saturatedAt, null);
  assert.ok(SATURATED > 0.9);
});

test('options are validated with specific messages', () => {
  assert.throws(() => createFleet({ backends: 1 }), /backends must be an integer in 2\.\.500/);
  assert.throws(() => createFleet({ faultAtFraction: 0.8, saturateAtFraction: 0.6 }), /faultAtFraction < saturateAtFraction/);
  assert.throws(() => createFleet({ hotBackend: 9, backends: 3 }), /hotBackend must be an index in 0\.\.2/);
  assert.throws(() => createFleet({ capacityRps: 0 }), /capacityRps must be a positive number/);
  assert.throws(() => step(createFleet(), -1), /dtSeconds must be >= 0/);
  assert.throws(() => setStatus(createFleet(), 'nope', 'DOWN'), /no server named nope/);
});
