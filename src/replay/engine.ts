// Replays cycles through exactly the functions the daemon runs
// (analyseSnapshot, evaluateCycle) and reports each alert's transitions.
import { analyseSnapshot } from '../core/analysis/analyse.js';
import type { AnalysisOptions } from '../core/analysis/options.js';
import { evaluateCycle, INITIAL_EVALUATOR_STATE, type EvaluatorContext, type EvaluatorState } from '../core/alerting/evaluator.js';
import type { AlertPhase } from '../core/alerting/lifecycle.js';
import type { PoolHistory } from '../core/types.js';
import type { RecordedCycle } from './recording.js';

export interface Transition {
  readonly at: number;
  readonly rule: string;
  readonly pool: string;
  readonly from: AlertPhase;
  readonly to: AlertPhase;
  /** The verdict's explanation when it changed (empty for source-level alerts). */
  readonly explanation: string;
}

export interface ReplayResult {
  readonly cycles: number;
  readonly failedCycles: number;
  readonly from: number | null;
  readonly to: number | null;
  readonly transitions: readonly Transition[];
  /** Notifications the daemon would have enqueued, as "kind rule pool -> sinks". */
  readonly notifications: ReadonlyArray<{ at: number; kind: string; rule: string; pool: string; sinks: readonly string[] }>;
}

export class Replayer {
  private state: EvaluatorState = INITIAL_EVALUATOR_STATE;
  private histories = new Map<string, PoolHistory>();
  private readonly transitions: Transition[] = [];
  private readonly notifications: Array<ReplayResult['notifications'][number]> = [];
  private cycles = 0;
  private failed = 0;
  private first: number | null = null;
  private last: number | null = null;

  constructor(private readonly ctx: EvaluatorContext, private readonly analysis: AnalysisOptions) {}

  step(cycle: RecordedCycle): void {
    this.cycles++;
    this.first ??= cycle.at;
    this.last = cycle.at;
    let verdicts = null;
    if ('snapshot' in cycle) {
      const r = analyseSnapshot(cycle.snapshot, this.histories, this.analysis);
      this.histories = r.histories;
      verdicts = r.verdicts;
    } else {
      this.failed++;
    }
    const prev = this.state.alerts;
    const result = evaluateCycle(this.state, { now: cycle.at, verdicts, ...('error' in cycle ? { error: cycle.error } : {}), silences: [] }, this.ctx);
    this.state = result.state;
    const keys = new Set([...Object.keys(prev), ...Object.keys(result.state.alerts)]);
    for (const key of keys) {
      const before = prev[key];
      const after = result.state.alerts[key];
      const from = before?.state.phase ?? 'inactive';
      const to = after?.state.phase ?? 'inactive';
      if (from === to) continue;
      const a = (after ?? before)!;
      this.transitions.push({ at: cycle.at, rule: a.ruleId, pool: a.pool, from, to, explanation: a.lastVerdict?.explanation ?? '' });
    }
    for (const p of result.notifications) {
      this.notifications.push({ at: cycle.at, kind: p.notification.kind, rule: p.notification.ruleId, pool: p.notification.pool, sinks: p.sinks });
    }
  }

  result(): ReplayResult {
    return { cycles: this.cycles, failedCycles: this.failed, from: this.first, to: this.last, transitions: this.transitions, notifications: this.notifications };
  }
}

export function replayCycles(cycles: Iterable<RecordedCycle>, ctx: EvaluatorContext, analysis: AnalysisOptions): ReplayResult {
  const r = new Replayer(ctx, analysis);
  for (const c of cycles) r.step(c);
  return r.result();
}
