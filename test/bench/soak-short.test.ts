// The soak's short form: 300 cycles of the real daemon cycle over a small
// fleet with every fault of the long form (source failures, pools vanishing
// and returning, backends renamed, sinks down for a while). It asserts bounds,
// not timings: what the daemon keeps (state file, outbox, histories, tracked
// alerts, /metrics series) must stop growing once the fleet has been seen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSoak, type SoakSample } from '../../bench/soak/run-soak.js';
import { ephemeralPools } from '../../bench/soak/fleet.js';

const POOLS = 60;
const RULES = 3; // alerts/default.yaml: TrafficSkew, TrafficSkewCritical, SkewwatchBlind

test('300 faulty cycles: state, outbox, histories, alerts and /metrics stay bounded', async () => {
  const samples: SoakSample[] = [];
  const r = await runSoak({ pools: POOLS, backendsPerPool: 10, cycles: 300, sampleEvery: 10, onSample: (s) => samples.push(s) });
  assert.equal(r.cycles, 300);
  assert.ok(r.notificationsDelivered > 0 && r.notificationsRefused > 0, `faults reached the sinks (${r.notificationsDelivered} delivered, ${r.notificationsRefused} refused)`);
  for (const s of samples) {
    // One-epoch pools are forgotten once out of the history window (600 s = 40 cycles < one epoch).
    const ephemeral = ephemeralPools({ pools: POOLS, backendsPerPool: 10 });
    assert.ok(s.histories <= POOLS + 2 * ephemeral, `cycle ${s.cycle}: ${s.histories} histories for ${POOLS} + ${ephemeral} pools`);
    assert.ok(s.trackedAlerts <= POOLS * RULES + 1, `cycle ${s.cycle}: ${s.trackedAlerts} tracked alerts`);
    assert.ok(s.outboxEntries <= POOLS * RULES * 3, `cycle ${s.cycle}: ${s.outboxEntries} queued`);
    // Per pool: 8 pool series + at most (5 top + flagged) x 3 backend series; plus the fixed ones.
    assert.ok(s.metricsSeries <= POOLS * 30 + 200, `cycle ${s.cycle}: ${s.metricsSeries} /metrics series`);
  }
  // Renamed backends and vanished pools must not pile up in the state file:
  // the last third is no larger than 1.25 x the largest of the middle third.
  const third = Math.floor(samples.length / 3);
  const middleMax = Math.max(...samples.slice(third, 2 * third).map((s) => s.stateBytes));
  const lastMax = Math.max(...samples.slice(2 * third).map((s) => s.stateBytes));
  assert.ok(lastMax <= middleMax * 1.25, `state file grows: ${middleMax} -> ${lastMax} bytes`);
  assert.ok(r.stateBytes < POOLS * 20_000, `state file ${r.stateBytes} bytes for ${POOLS} pools`);
});
