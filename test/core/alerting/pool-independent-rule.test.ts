// The evaluator's one effective rule per pass: only for rules that are the
// same on every pool, and then exactly what effectiveRule gives each pool.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { RuleConfig } from '../../../src/core/alerting/rule.js';
import { effectiveRule, poolIndependentRule } from '../../../src/core/alerting/rule-match.js';
import { DEFAULT_RULE_FILE } from './harness.js';

const base = DEFAULT_RULE_FILE.rules.find((r) => r.id === 'TrafficSkew')! as RuleConfig;

test('a rule without matchers or overrides: the effective rule of every pool', () => {
  const shared = poolIndependentRule({ ...base, match: {}, overrides: [] });
  assert.ok(shared);
  fc.assert(fc.property(fc.string(), fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 })), (pool, labels) => {
    assert.deepEqual(effectiveRule({ ...base, match: {}, overrides: [] }, pool, labels), shared);
  }), { numRuns: 200 });
});

test('a rule with matchers or overrides is judged per pool', () => {
  // A matcher that the empty pool name passes too, and 'web' does not.
  const matching: RuleConfig = { ...base, match: { pool: '|db' }, overrides: [] };
  assert.equal(poolIndependentRule(matching), null);
  assert.equal(effectiveRule(matching, 'web', {}), null);
  const withOverride: RuleConfig = { ...base, match: {}, overrides: [{ match: { pool: 'db' }, severity: 'critical' }] };
  assert.equal(poolIndependentRule(withOverride), null);
  assert.equal(effectiveRule(withOverride, 'db', {})!.severity, 'critical');
  assert.equal(effectiveRule(withOverride, 'web', {})!.severity, base.severity);
});
