// The daemon's balancer-side duties, beside the traffic analysis: keep the
// change log, read the declared config (re-read when it changes), add the
// changes, the likely cause and the drift to each verdict, send balancer
// changes to PagerDuty as change events, and — opt-in — restore declared
// weights through HAProxy's runtime API when a pool pages. Decisions are
// the pure core's (core/changes, core/declared); this file does the I/O.
import type { Logger } from 'pino';
import type { RawConfig } from '../config/schema.js';
import type { EvaluatorState, PlannedNotification } from '../core/alerting/evaluator.js';
import type { Notification } from '../core/alerting/notification.js';
import { isSilenced, type Silence } from '../core/alerting/rule-match.js';
import { describeChange, EMPTY_CHANGE_LOG, restoreChangeLog, trackChanges, type BalancerChange, type ChangeLog } from '../core/changes/changes.js';
import { addBalancerContext } from '../core/declared/context.js';
import { describeRestore, EMPTY_RESTORE_MEMORY, planRestore, type RestoreAction, type RestoreInput, type RestoreMemory } from '../core/declared/restore.js';
import type { PoolVerdict, Snapshot } from '../core/types.js';
import { DeclaredLoader, type DeclaredState } from '../declared/load.js';
import { setWeight } from '../remediate/haproxy-runtime.js';
import { errorMessage } from '../util/errors.js';
import { redactText } from '../util/redact.js';

/** Change kinds worth a PagerDuty change event (joins and leaves are autoscaling noise). */
const EVENT_KINDS: ReadonlySet<BalancerChange['kind']> = new Set(['weight', 'state']);
/** Changes described in one pool's change event; more are counted. */
const MAX_CHANGES_PER_EVENT = 10;

export interface BalancerWatchOptions {
  readonly config: RawConfig;
  /** Folder relative declared paths are read from (the config file's). */
  readonly baseDir: string;
  readonly configFile?: string;
  readonly log: Logger;
  /** Sinks that are configured (change events go to pagerduty, restore reports to slack and pagerduty). */
  readonly availableSinks: ReadonlySet<string>;
  /** Executes a restore; the default talks to HAProxy's runtime API. Tests inject their own. */
  readonly setWeight?: (address: string, backend: string, server: string, weight: number) => Promise<void>;
}

export interface BalancerWatchState {
  readonly changes: ChangeLog;
  readonly restore: RestoreMemory;
}

export class BalancerWatch {
  private changeLog: ChangeLog = EMPTY_CHANGE_LOG;
  private restoreMemory: RestoreMemory = EMPTY_RESTORE_MEMORY;
  private readonly loader: DeclaredLoader;
  /** The declaration as of the last cycle: read (a stat, a parse when changed) once per cycle. */
  private declared: DeclaredState;
  private lastProblems = '';

  constructor(private readonly opts: BalancerWatchOptions) {
    this.loader = new DeclaredLoader(opts.config.declared, opts.baseDir, opts.configFile);
    this.declared = { pools: new Map(), overrides: [], problems: [] };
  }

  restoreState(saved: unknown): void {
    const s = (typeof saved === 'object' && saved !== null ? saved : {}) as { changes?: unknown; restore?: { handled?: unknown; recent?: unknown } };
    this.changeLog = restoreChangeLog(s.changes);
    const r = s.restore;
    if (r && Array.isArray(r.handled) && Array.isArray(r.recent)) {
      this.restoreMemory = { handled: r.handled.filter((x): x is string => typeof x === 'string'), recent: r.recent.filter((x): x is number => typeof x === 'number') };
    }
  }

  toJSON(): BalancerWatchState {
    return { changes: this.changeLog, restore: this.restoreMemory };
  }

  /** What /api/v1/status shows about the declaration. */
  declaredStatus(): { file: string | null; pools: number; problems: string[] } {
    const d = this.declared;
    return {
      file: this.opts.config.declared.haproxy_config ?? null,
      pools: d.pools.size,
      problems: d.problems.map((p) => `${p.at.file}:${p.at.line}: ${p.message}`),
    };
  }

  /**
   * After the analysis of a successful collection: records the changes,
   * adds context to the verdicts, and plans one change event per pool whose
   * weights or states changed this cycle.
   */
  observe(snapshot: Snapshot, verdicts: readonly PoolVerdict[]): { verdicts: PoolVerdict[]; notifications: PlannedNotification[] } {
    const { config, log } = this.opts;
    const tracked = trackChanges(this.changeLog, snapshot, { retainMs: 3_600_000, maxPerPool: 50, mergeWindowMs: config.source.rate_window });
    this.changeLog = tracked.log;
    const declared = this.loader.load();
    this.declared = declared;
    if (declared.changed) {
      const problems = declared.problems.map((p) => `${p.at.file}:${p.at.line}: ${p.message}`).join('; ');
      if (problems !== this.lastProblems && problems) log.warn({ problems: declared.problems.length }, `declared config: ${problems}`);
      if (declared.pools.size > 0) log.info({ pools: declared.pools.size, file: config.declared.haproxy_config }, 'declared config loaded');
      this.lastProblems = problems;
    }
    const out = addBalancerContext(verdicts, snapshot, {
      declared: declared.pools,
      overrides: declared.overrides,
      changeLog: this.changeLog,
      lookbackMs: config.declared.change_lookback,
      drift: { concentrationFactor: config.declared.concentration_factor },
    });
    for (const c of tracked.fresh) log.info({ pool: c.pool, backend: c.backend, kind: c.kind, from: c.from, to: c.to }, `balancer change: ${describeChange(c)}`);
    return { verdicts: out, notifications: this.changeEvents(tracked.fresh, snapshot) };
  }

  private changeEvents(fresh: readonly BalancerChange[], snapshot: Snapshot): PlannedNotification[] {
    if (!this.opts.availableSinks.has('pagerduty') || this.opts.config.sinks.pagerduty?.change_events === false) return [];
    const byPool = new Map<string, BalancerChange[]>();
    for (const c of fresh) if (EVENT_KINDS.has(c.kind)) byPool.set(c.pool, [...(byPool.get(c.pool) ?? []), c]);
    const labels = new Map(snapshot.pools.map((p) => [p.pool, p.labels]));
    const out: PlannedNotification[] = [];
    for (const [pool, changes] of byPool) {
      const shown = changes.slice(0, MAX_CHANGES_PER_EVENT).map((c) => describeChange(c));
      const more = changes.length - shown.length;
      const summary = `balancer change: ${shown.join('; ')}${more > 0 ? `; +${more} more` : ''}`;
      out.push({ notification: this.changeNotification(pool, labels.get(pool) ?? {}, summary, snapshot.at, 'BalancerChange', { changes: shown.join('\n') }), sinks: ['pagerduty'] });
    }
    return out;
  }

  private changeNotification(pool: string, poolLabels: Readonly<Record<string, string>>, summary: string, now: number, ruleId: string, annotations: Record<string, string>): Notification {
    const ns = this.opts.config.namespace;
    return {
      id: `${ns}:${ruleId}:${pool}:${now}`,
      dedupKey: `${ns}:${ruleId}:${pool}`,
      kind: 'change',
      ruleId,
      ruleName: ruleId,
      severity: 'info',
      pool,
      poolLabels,
      startsAt: now,
      createdAt: now,
      summary,
      annotations,
      labels: { alertname: ruleId, pool, ...poolLabels },
      verdict: null,
    };
  }

  /**
   * After the evaluation: restores declared weights of pools that page, as
   * configured (dry run by default). Returns the reports to deliver.
   */
  async remediate(evaluator: EvaluatorState, verdicts: readonly PoolVerdict[], silences: readonly Silence[], now: number): Promise<PlannedNotification[]> {
    const r = this.opts.config.remediate;
    if (!r.restore_declared_weights) return [];
    const declared = this.declared.pools;
    const inputs: RestoreInput[] = [];
    for (const v of verdicts) {
      if (!v.drift || !v.drift.items.some((i) => i.kind === 'weight')) continue;
      const paging = Object.values(evaluator.alerts).filter((a) => a.pool === v.pool && a.severity === 'critical' && a.state.phase === 'firing');
      const d = declared.get(v.labels.proxy ?? v.pool) ?? declared.get(v.pool);
      if (!d) continue;
      inputs.push({
        drift: v.drift,
        backend: v.labels.proxy ?? v.pool,
        paging: paging.length > 0,
        silenced: paging.some((a) => isSilenced(silences, a.ruleId, v.pool, now) !== null),
        declaredWeights: new Map(d.servers.map((s) => [s.name, s.weight])),
      });
    }
    const plan = planRestore(inputs, this.restoreMemory, now, { enabled: true, dryRun: r.dry_run || r.runtime_api === undefined, maxPerHour: r.max_per_hour });
    this.restoreMemory = plan.memory;
    const reports: PlannedNotification[] = [];
    for (const a of plan.actions) reports.push(await this.execute(a, verdicts, now));
    return reports;
  }

  private async execute(a: RestoreAction, verdicts: readonly PoolVerdict[], now: number): Promise<PlannedNotification> {
    const { log, availableSinks } = this.opts;
    let text = describeRestore(a);
    if (!a.dryRun) {
      try {
        await (this.opts.setWeight ?? setWeight)(this.opts.config.remediate.runtime_api!, a.backend, a.server, a.to);
        log.warn({ pool: a.pool, server: a.server, from: a.from, to: a.to }, text);
      } catch (e) {
        text = `restore FAILED: could not set ${a.backend}/${a.server} weight ${a.from} → ${a.to}: ${redactText(errorMessage(e))}`;
        log.error({ pool: a.pool, server: a.server }, text);
      }
    } else {
      log.info({ pool: a.pool, server: a.server, from: a.from, to: a.to }, text);
    }
    const labels = verdicts.find((v) => v.pool === a.pool)?.labels ?? {};
    const sinks = ['slack', 'pagerduty'].filter((s) => availableSinks.has(s));
    return { notification: this.changeNotification(a.pool, labels, text, now, 'RestoreDeclaredWeight', { action: text }), sinks };
  }
}
