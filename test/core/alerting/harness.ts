// Drives the real analysis and the real evaluator cycle by cycle, with the
// shipped default rules, for alerting tests that start from samples (what a
// source collects) rather than from hand-made verdicts. Time is injected.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { analyseSnapshot } from '../../../src/core/analysis/analyse.js';
import { evaluateCycle, INITIAL_EVALUATOR_STATE, type EvaluatorContext, type EvaluatorState, type PlannedNotification } from '../../../src/core/alerting/evaluator.js';
import { ruleFileSchema } from '../../../src/config/rules.js';
import { DEFAULT_RULES_FILE } from '../../../src/config/load.js';
import type { PoolHistory, PoolSample, PoolVerdict } from '../../../src/core/types.js';

export const DEFAULT_RULE_FILE = ruleFileSchema.parse(parseYaml(readFileSync(DEFAULT_RULES_FILE, 'utf8')));

export const NOW0 = 1_700_000_000_000;

export function defaultContext(over: Partial<EvaluatorContext> = {}): EvaluatorContext {
  return {
    namespace: 'test',
    rules: DEFAULT_RULE_FILE.rules,
    inhibitRules: DEFAULT_RULE_FILE.inhibit_rules,
    alertmanagerResendMs: null,
    availableSinks: new Set(['slack', 'pagerduty']),
    intervalMs: 15_000,
    ...over,
  };
}

/** "kind:rule" per planned notification, e.g. "trigger:TrafficSkewCritical". */
export function described(ns: readonly PlannedNotification[]): string[] {
  return ns.map((p) => `${p.notification.kind}:${p.notification.ruleId}`);
}

export class Run {
  state: EvaluatorState = INITIAL_EVALUATOR_STATE;
  histories = new Map<string, PoolHistory>();
  verdicts: PoolVerdict[] = [];
  all: PlannedNotification[] = [];
  constructor(readonly ctx: EvaluatorContext = defaultContext()) {}

  /** One cycle at NOW0 + t seconds; `pools` null = the source failed. Returns what was planned. */
  step(t: number, pools: readonly PoolSample[] | null): PlannedNotification[] {
    const now = NOW0 + t * 1000;
    let verdicts: PoolVerdict[] | null = null;
    if (pools) {
      const r = analyseSnapshot({ at: now, pools }, this.histories);
      this.histories = r.histories;
      verdicts = r.verdicts;
      this.verdicts = r.verdicts;
    }
    const r = evaluateCycle(this.state, { now, verdicts, ...(pools ? {} : { error: 'connect ECONNREFUSED' }), silences: [] }, this.ctx);
    this.state = r.state;
    this.all.push(...r.notifications);
    return [...r.notifications];
  }
}
