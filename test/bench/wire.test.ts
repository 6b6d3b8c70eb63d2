// The benchmark's fast wire ('families': the parsed form handed to the
// scrape source) must give the daemon exactly what the full text path
// (exporter text -> axios -> exposition parser) gives it: same snapshots,
// same verdicts, same notifications, cycle by cycle.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { family } from '../../bench/detection/families/index.js';
import { runScenario, type Wire } from '../../bench/detection/harness.js';
import { parseExposition } from '../../src/sources/exposition.js';
import { blocksToFamilies, haproxyBlocks, nodeCpuBlocks, renderBlocks } from '../../bench/detection/sim/exposition.js';
import { Fleet } from '../../bench/detection/sim/fleet.js';
import { setAdmin } from '../../bench/detection/scenario.js';

async function cycles(name: string, size: number, seed: number, wire: Wire, maxSeconds: number): Promise<string[]> {
  const out: string[] = [];
  await runScenario(family(name).build(size, seed), {
    wire, maxSeconds,
    onCycle: (r) => out.push(JSON.stringify({ at: r.at, ok: r.ok, snapshot: r.snapshot, verdicts: r.verdicts, planned: r.planned.map((p) => [p.notification.kind, p.notification.ruleId, p.sinks]) })),
  });
  return out;
}

test('blocksToFamilies is what the parser returns for the rendered text', () => {
  const f = new Fleet({ name: 'be_app', balance: 'roundrobin', servers: [1, 2, 3].map((i) => ({ name: `s${i}`, cores: 2, weight: i, serviceTime: 0.01, maxconn: i === 1 ? 30 : 0 })) }, 4);
  for (let t = 0; t < 40; t++) f.step(120);
  setAdmin(f, 's2', 'DRAIN');
  for (const blocks of [haproxyBlocks(f, { hideWeight: new Set(['s3']) }), nodeCpuBlocks(f.server('s1'), 1000)]) {
    const keep = new Set(blocks.map((b) => b.name));
    assert.deepStrictEqual(blocksToFamilies(blocks, keep), parseExposition(renderBlocks(blocks), { contentType: 'text/plain; version=0.0.4', keepNames: keep }));
  }
});

for (const [name, size, seed, seconds] of [['wrong-weight-cpu', 4, 1, 2400], ['exporter-restart', 3, 2, 5400], ['missing-value', 4, 1, 3600], ['wrong-drain', 3, 2, 2400]] as const) {
  test(`text and families wires give the daemon the same cycles: ${name}`, { timeout: 300_000 }, async () => {
    const text = await cycles(name, size, seed, 'text', seconds);
    const fast = await cycles(name, size, seed, 'families', seconds);
    assert.equal(fast.length, text.length);
    for (let i = 0; i < text.length; i++) assert.equal(fast[i], text[i], `cycle ${i} differs`);
  });
}
