// The daemon's balancer-side duties end to end in-process: a declared HAProxy
// file, a runtime weight change seen in the samples, the drift and likely
// cause on the verdict, one PagerDuty change event, and the restore (real
// run vs dry run, once per drift, never while silenced).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BalancerWatch } from '../../src/app/balancer-watch.js';
import { configSchema } from '../../src/config/schema.js';
import { analyseSnapshot } from '../../src/core/analysis/analyse.js';
import type { EvaluatorState } from '../../src/core/alerting/evaluator.js';
import type { BackendSample, Snapshot } from '../../src/core/types.js';
import { silentLogger } from '../../src/util/logger.js';

const T0 = Date.UTC(2026, 11, 1, 12, 0, 0);

function setup(remediate: Record<string, unknown> = {}, sinks = ['pagerduty', 'slack']) {
  const dir = mkdtempSync(join(tmpdir(), 'skewwatch-bw-'));
  writeFileSync(join(dir, 'haproxy.cfg'), 'backend be_app\n' + ['s1', 's2', 's3', 's4'].map((s, i) => `  server ${s} 127.0.0.1:${8001 + i} check\n`).join(''));
  const config = configSchema.parse({
    declared: { haproxy_config: 'haproxy.cfg' },
    remediate: { restore_declared_weights: true, dry_run: false, runtime_api: 'unix:/run/haproxy.sock', ...remediate },
  });
  const calls: string[] = [];
  const watch = new BalancerWatch({
    config, baseDir: dir, log: silentLogger(), availableSinks: new Set(sinks),
    setWeight: async (addr, be, srv, w) => { calls.push(`${addr} ${be}/${srv} ${w}`); },
  });
  return { watch, calls };
}

function snap(at: number, s1: Partial<BackendSample> = {}): Snapshot {
  return { at, pools: [{ pool: 'be_app', labels: { proxy: 'be_app' }, windowSeconds: 60, backends: ['s1', 's2', 's3', 's4'].map((b, i) => ({ backend: b, rate: 30, count: 1800, health: 'up' as const, weight: 1, ...(i === 0 ? s1 : {}) })) }] };
}

const firing = (pool: string): EvaluatorState => ({
  blindCycles: 0, lastError: null,
  alerts: { [`LoadBalancerConfigDriftCritical/${pool}`]: { ruleId: 'LoadBalancerConfigDriftCritical', severity: 'critical', pool, state: { phase: 'firing' } } },
} as unknown as EvaluatorState);

function observe(watch: BalancerWatch, s: Snapshot) {
  const { verdicts } = analyseSnapshot(s, new Map());
  return watch.observe(s, verdicts);
}

test('a runtime weight change: drift on the verdict, one PagerDuty change event, and the declared weight restored once', async () => {
  const { watch, calls } = setup();
  const first = observe(watch, snap(T0));
  assert.equal(first.verdicts[0]!.drift!.level, 0);
  assert.deepEqual(first.notifications, [], 'first sight is not a change');

  const s = snap(T0 + 15_000, { weight: 256, rate: 118, count: 7080 });
  const second = observe(watch, s);
  const v = second.verdicts[0]!;
  assert.equal(v.drift!.level, 2);
  assert.equal(v.changes![0]!.to, '256');
  assert.equal(second.notifications.length, 1);
  const ev = second.notifications[0]!;
  assert.deepEqual(ev.sinks, ['pagerduty']);
  assert.equal(ev.notification.kind, 'change');
  assert.match(ev.notification.summary, /^balancer change: s1's weight changed 1 → 256 at 12:00:15 UTC$/);

  // Not paging: nothing restored.
  assert.deepEqual(await watch.remediate({ alerts: {}, blindCycles: 0, lastError: null }, second.verdicts, [], s.at), []);
  assert.deepEqual(calls, []);
  // Paging: restored through the runtime API, reported to Slack and PagerDuty.
  const reports = await watch.remediate(firing('be_app'), second.verdicts, [], s.at);
  assert.deepEqual(calls, ['unix:/run/haproxy.sock be_app/s1 1']);
  assert.deepEqual(reports[0]!.sinks, ['slack', 'pagerduty']);
  assert.match(reports[0]!.notification.summary, /^restored be_app\/s1 weight 256 → 1 \(the declared weight\)/);
  // Once per drift.
  assert.deepEqual(await watch.remediate(firing('be_app'), second.verdicts, [], s.at + 15_000), []);
  assert.equal(calls.length, 1);
});

test('dry run (the default) and silences: say what would be done, do nothing', async () => {
  const dry = setup({ dry_run: true });
  observe(dry.watch, snap(T0));
  const o = observe(dry.watch, snap(T0 + 15_000, { weight: 256 }));
  const [r] = await dry.watch.remediate(firing('be_app'), o.verdicts, [], T0 + 15_000);
  assert.match(r!.notification.summary, /^dry run: would set be_app\/s1 weight 256 → 1/);
  assert.deepEqual(dry.calls, []);

  const silenced = setup();
  observe(silenced.watch, snap(T0));
  const p = observe(silenced.watch, snap(T0 + 15_000, { weight: 256 }));
  const silence = { id: 'm', pool: 'be_app', startsAt: 0, endsAt: T0 + 3_600_000, comment: 'migration', createdBy: 'ana' };
  assert.deepEqual(await silenced.watch.remediate(firing('be_app'), p.verdicts, [silence], T0 + 15_000), []);
  assert.deepEqual(silenced.calls, []);
});

test('a refused restore is reported as FAILED, not as done', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skewwatch-bw-'));
  writeFileSync(join(dir, 'h.cfg'), 'backend be_app\n  server s1 a:1\n  server s2 a:2\n  server s3 a:3\n  server s4 a:4\n');
  const watch = new BalancerWatch({
    config: configSchema.parse({ declared: { haproxy_config: 'h.cfg' }, remediate: { restore_declared_weights: true, dry_run: false, runtime_api: '/run/h.sock' } }),
    baseDir: dir, log: silentLogger(), availableSinks: new Set(['slack']),
    setWeight: async () => { throw new Error('HAProxy refused "set weight be_app/s1 1": No such server.'); },
  });
  observe(watch, snap(T0));
  const o = observe(watch, snap(T0 + 15_000, { weight: 256 }));
  const [r] = await watch.remediate(firing('be_app'), o.verdicts, [], T0 + 15_000);
  assert.match(r!.notification.summary, /^restore FAILED: could not set be_app\/s1 weight 256 → 1: HAProxy refused/);
});

test('change events are off without PagerDuty, or with change_events: false; the log survives a restart', () => {
  const { watch } = setup({}, ['slack']);
  observe(watch, snap(T0));
  assert.deepEqual(observe(watch, snap(T0 + 15_000, { health: 'maint' })).notifications, []);
  const again = setup();
  again.watch.restoreState(JSON.parse(JSON.stringify(watch.toJSON())));
  const v = observe(again.watch, snap(T0 + 30_000, { health: 'maint' })).verdicts[0]!;
  assert.equal(v.changes![0]!.kind, 'state', 'the change seen before the restart is still there');
});
