// Issue 11, fault suite (disk and clock): the wall clock jumps back and
// forward (NTP step, VM resume) mid-incident. No second page, no resolve
// while the pool is still skewed, the resolve still goes out when balance
// returns. Real PagerDuty client against the local receiver; the clock is
// injected (a real process's clock cannot be stepped without privileges).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { Daemon } from '../../src/app/daemon.js';
import { buildAnalysisOptions, buildEvaluatorContext, buildNotifiers } from '../../src/app/build.js';
import { SkewwatchMetrics } from '../../src/http/metrics.js';
import { MemoryStateStore } from '../../src/state/store.js';
import { silentLogger } from '../../src/util/logger.js';
import type { Clock } from '../../src/util/clock.js';
import { ScriptedSource, pool, BALANCED, SKEWED } from '../fakes/source.js';
import { startPagerDutyReceiver } from '../fakes/receivers/index.js';

class SteppedClock implements Clock {
  constructor(public t = 1_800_000_000_000) {}
  now(): number { return this.t; }
  async sleep(): Promise<void> { await new Promise((r) => setImmediate(r)); }
}

test('clock jumps back an hour and forward two mid-incident: one page, one resolve each time', async () => {
  const pd = await startPagerDutyReceiver({ routingKeys: ['R0UT1NGKEY0123456789abcdefABCDEF'] });
  try {
    const dir = mkdtempSync(join(tmpdir(), 'skewwatch-clock-'));
    const file = join(dir, 'c.yaml');
    writeFileSync(join(dir, 'rules.yaml'), 'rules:\n  - { id: Page, when: { stat: severity, above: 1.5, resolve_below: 0.5 }, for: 10s, keep_firing_for: 10s, severity: critical, sinks: [pagerduty] }\n');
    writeFileSync(file, `interval: 5s\nrule_files: [rules.yaml]\nsource: { prometheus: { url: http://127.0.0.1:1 } }\nsinks: { pagerduty: { routing_key: R0UT1NGKEY0123456789abcdefABCDEF, url: "${pd.url}" } }\ndelivery: { initial_backoff: 1s }\n`);
    const loaded = loadConfig({ file, env: {} });
    const clock = new SteppedClock();
    let shares = BALANCED;
    const notifiers = buildNotifiers(loaded.config, clock);
    const d = new Daemon({
      loaded, source: new ScriptedSource(() => [pool('be_app', shares)]), notifiers, analysis: buildAnalysisOptions(loaded.config),
      context: buildEvaluatorContext(loaded, notifiers), store: new MemoryStateStore(), clock, log: silentLogger(), metrics: new SkewwatchMetrics(), random: () => 0.5,
    });
    const cycles = async (n: number) => {
      for (let i = 0; i < n; i++) {
        await d.cycle(clock.now());
        await d.deliver(AbortSignal.timeout(5000));
        clock.t += 5000;
      }
    };
    const count = (a: string) => pd.events.filter((e) => e.event_action === a).length;

    for (const jump of [-3_600_000, +7_200_000]) {
      const before = { t: count('trigger'), r: count('resolve') };
      shares = SKEWED;
      await cycles(6);
      assert.equal(count('trigger'), before.t + 1, 'paged');
      clock.t += jump; // the wall clock steps
      await cycles(12);
      assert.equal(count('trigger'), before.t + 1, `no second page after a ${jump / 60_000} min jump`);
      assert.equal(count('resolve'), before.r, `no resolve after a ${jump / 60_000} min jump while still skewed`);
      shares = BALANCED;
      await cycles(8);
      assert.equal(count('resolve'), before.r + 1, `resolved after a ${jump / 60_000} min jump`);
    }
  } finally {
    await pd.close();
  }
});
