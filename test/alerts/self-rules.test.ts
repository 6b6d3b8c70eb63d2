// Issue 11 item 16: the Prometheus rules that watch skewwatch itself pass
// `promtool check rules` and their unit tests (`promtool test rules`, real
// promtool), cover down / blind / partially blind / zero pools /
// notifications failing or dropped / state save errors, and every metric
// they use is one skewwatch (or the standard process collector) exposes.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { SkewwatchMetrics } from '../../src/http/metrics.js';

const ROOT = resolve(import.meta.dirname, '../..');
const DIR = join(ROOT, 'alerts/prometheus');
const RULES = join(DIR, 'skewwatch-self.rules.yml');
const PROMTOOL = process.env.PROMTOOL ?? '/usr/bin/promtool';
const skip = existsSync(PROMTOOL) || process.env.CI === 'true' ? false : `promtool not found at ${PROMTOOL}`;

describe('Prometheus self-monitoring rules', () => {
  it('pass promtool check rules', { skip }, () => {
    const r = spawnSync(PROMTOOL, ['check', 'rules', RULES], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /SUCCESS: 10 rules found/);
  });

  it('pass their promtool unit tests', { skip }, () => {
    const r = spawnSync(PROMTOOL, ['test', 'rules', 'skewwatch-self.rules.test.yml'], { cwd: DIR, encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /SUCCESS/);
  });

  it('cover what the issue lists, and every alert has a unit test', () => {
    const rules = (parse(readFileSync(RULES, 'utf8')) as { groups: Array<{ rules: Array<{ alert: string }> }> }).groups.flatMap((g) => g.rules.map((r) => r.alert));
    for (const a of ['SkewwatchDown', 'SkewwatchBlind', 'SkewwatchPartiallyBlind', 'SkewwatchNoPools', 'SkewwatchNotificationsFailing', 'SkewwatchNotificationsDropped', 'SkewwatchStateSaveFailing']) {
      assert.ok(rules.includes(a), `${a} is shipped`);
    }
    const tests = readFileSync(join(DIR, 'skewwatch-self.rules.test.yml'), 'utf8');
    for (const a of rules) assert.match(tests, new RegExp(`alertname: ${a}\\n[\\s\\S]*?exp_labels`), `${a} has a test where it fires`);
  });

  it('use only metrics that skewwatch exposes', async () => {
    const text = await new SkewwatchMetrics({ defaultMetrics: true }).registry.metrics();
    const exposed = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!));
    const exprs = (parse(readFileSync(RULES, 'utf8')) as { groups: Array<{ rules: Array<{ expr: string }> }> }).groups.flatMap((g) => g.rules.map((r) => r.expr));
    const used = new Set(exprs.flatMap((e) => [...e.matchAll(/\b((?:skewwatch|process)_[a-z_]+)\b/g)].map((m) => m[1]!)));
    assert.ok(used.size >= 7);
    for (const m of used) assert.ok(exposed.has(m), `${m} is used by a rule but not exposed`);
  });
});
