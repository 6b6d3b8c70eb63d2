// Config keys of the alert lifecycle (docs/rules.md): `inhibit_rules` (in
// rule files and inline) and the `alerting` section. One fixture and one
// message each, as in validate.test.ts; and the defaults reach the evaluator.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError, type ConfigIssue } from '../../src/config/errors.js';
import { buildEvaluatorContext } from '../../src/app/build.js';

const FIXTURES = join(resolve(dirname(fileURLToPath(import.meta.url)), '../..'), 'test/fixtures/config');
const fixture = (name: string) => join(FIXTURES, name);

function issuesOf(file: string): readonly ConfigIssue[] {
  try {
    loadConfig({ file, env: {} });
  } catch (e) {
    if (e instanceof ConfigError) return e.issues;
    throw e;
  }
  assert.fail(`${file} loaded, but it should not`);
}

/** Exactly these issues, in order: [file:line, path, message fragment]. */
function expectBad(name: string, expected: readonly [line: number, path: string, message: string][], file = fixture(name)): void {
  const actual = issuesOf(fixture(name));
  const shown = JSON.stringify(actual, null, 2);
  assert.equal(actual.length, expected.length, shown);
  expected.forEach(([line, path, message], i) => {
    assert.equal(actual[i]!.file, `${file}:${line}`, shown);
    assert.equal(actual[i]!.path, path, shown);
    assert.ok(actual[i]!.message.includes(message), `issue ${i} should contain ${JSON.stringify(message)}:\n${shown}`);
  });
}

describe('inhibit_rules and alerting: one fixture and one message each', () => {
  it('an empty source_match or target_match', () => {
    expectBad('bad-inhibit-empty-matchers.yaml', [
      [6, 'inhibit_rules[0].source_match', 'needs at least one matcher, e.g. { severity: critical }: an empty one would let any firing alert inhibit'],
      [9, 'inhibit_rules[1].target_match', 'needs at least one matcher, e.g. { alertname: TrafficSkew }: an empty one would mute every alert'],
    ]);
  });

  it('an equal entry that is not a label name', () => {
    expectBad('bad-inhibit-equal-label.yaml', [[8, 'inhibit_rules[0].equal[0]', 'expected a Prometheus label name']]);
  });

  it('an invalid regex in an inhibit matcher', () => {
    expectBad('bad-inhibit-regex.yaml', [[6, 'inhibit_rules[0].source_match.severity', 'expected a valid regular expression']]);
  });

  it('alerting durations that are 0 or unreadable, and an unknown key', () => {
    expectBad('bad-alerting-durations.yaml', [
      [6, 'alerting.for_outage_tolerance', 'expected a duration greater than 0'],
      [7, 'alerting.vanished_pool_grace', 'expected a duration such as 15s, 1m or 1h30m, got "15 minutes"'],
      [8, 'alerting.vanish_grace', 'unknown key "vanish_grace"'],
    ]);
  });

  it('an outage tolerance shorter than the interval', () => {
    expectBad('bad-outage-tolerance-below-interval.yaml', [[7, 'alerting.for_outage_tolerance', 'must be at least interval (60000 ms)']]);
  });

  it('a bad inhibit rule in a rule file is reported against the rule file', () => {
    expectBad('bad-inhibit-rule-file.yaml', [[9, 'inhibit_rules[0].equals', 'unknown key "equals"']], fixture('rules-bad-inhibit.yaml'));
  });
});

describe('defaults', () => {
  it('the default rules bring their inhibit rule and the alerting defaults reach the evaluator', () => {
    const loaded = loadConfig({ env: { SKEWWATCH_PROMETHEUS_URL: 'http://p:9090' } });
    assert.deepEqual(loaded.inhibitRules, [
      { source_match: { severity: 'critical' }, target_match: { alertname: 'TrafficSkew' }, equal: ['pool'] },
      { source_match: { alertname: 'LoadBalancerConfigDrift', severity: 'critical' }, target_match: { alertname: 'LoadBalancerConfigDrift', severity: 'warning' }, equal: ['pool'] },
      { source_match: { alertname: 'LoadBalancerConfigDrift', severity: 'critical' }, target_match: { alertname: 'TrafficSkewCritical' }, equal: ['pool'] },
      { source_match: { alertname: 'PoolCapacityLoss' }, target_match: { alertname: 'TrafficSkewCritical' }, equal: ['pool'] },
    ]);
    assert.deepEqual(loaded.config.alerting, { for_outage_tolerance: 3_600_000, vanished_pool_grace: 900_000 });
    const ctx = buildEvaluatorContext(loaded, []);
    assert.equal(ctx.forOutageToleranceMs, 3_600_000);
    assert.equal(ctx.vanishedPoolGraceMs, 900_000);
    assert.equal(ctx.intervalMs, 15_000);
    assert.equal(ctx.inhibitRules, loaded.inhibitRules);
  });

  it('inline inhibit_rules are added after those of the rule files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'skewwatch-inhibit-'));
    try {
      const file = join(dir, 'c.yaml');
      writeFileSync(file, 'source: { prometheus: { url: "http://p:9090" } }\ninhibit_rules:\n  - { source_match: { alertname: PoolDown }, target_match: { alertname: TrafficSkewCritical }, equal: [pool] }\n');
      assert.deepEqual(loadConfig({ file, env: {} }).inhibitRules.map((r) => r.source_match), [{ severity: 'critical' }, { alertname: 'LoadBalancerConfigDrift', severity: 'critical' }, { alertname: 'LoadBalancerConfigDrift', severity: 'critical' }, { alertname: 'PoolCapacityLoss' }, { alertname: 'PoolDown' }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
