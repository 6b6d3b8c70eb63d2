// The demo's stand-in for HAProxy's runtime API, driven by skewwatch's real
// runtime client (src/remediate/haproxy-runtime.ts) over TCP: `set weight`
// reaches the simulated fleet, a weight back at its configured value is the
// repair, and an unknown server is refused with HAProxy's words.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startFleetServer } from '../../src/demo/fleet-server.js';
import { startRuntimeApi } from '../../src/demo/runtime-api.js';
import { setWeight } from '../../src/remediate/haproxy-runtime.js';
import { injectFault } from '../../src/demo/fleet-model.js';
import { createFleet } from '../../src/demo/fleet-model.js';

test('set weight through the runtime API repairs the simulated wrong weight', async () => {
  const faulty = injectFault({ ...createFleet({ scenario: 'weight-misconfig', backends: 4 }), t: 20 });
  const fleet = await startFleetServer({ initialState: faulty, autoTick: false });
  const api = await startRuntimeApi('be_app', (server, weight) => { try { fleet.setWeight(server, weight); return true; } catch { return false; } });
  try {
    const hot = fleet.state().backends.find((b) => b.weight !== b.configuredWeight)!;
    assert.equal(fleet.state().repairedAt, null);
    await setWeight(api.address, 'be_app', hot.name, hot.configuredWeight);
    assert.ok(fleet.state().backends.every((b) => b.weight === b.configuredWeight));
    assert.notEqual(fleet.state().repairedAt, null, 'weights as configured again: repaired');
    await assert.rejects(setWeight(api.address, 'be_app', 'nope', 1), /HAProxy refused "set weight be_app\/nope 1": No such server\./);
    await assert.rejects(setWeight(api.address, 'be_other', hot.name, 1), /No such server/);
    assert.deepEqual(api.commands, [`set weight be_app/${hot.name} ${hot.configuredWeight}`, 'set weight be_app/nope 1', `set weight be_other/${hot.name} 1`]);
  } finally {
    await api.close();
    await fleet.close();
  }
});
