// The daemon's one cycle and its state: collect -> analyse -> evaluate ->
// enqueue -> persist, plus delivery rounds. No timers live here (run.ts
// schedules); time comes from the Clock, so tests drive it step by step.
import type { Logger } from 'pino';
import type { LoadedConfig } from '../config/load.js';
import { analyseSnapshotInSlices, type SnapshotAnalysis } from '../core/analysis/analyse.js';
import type { AnalysisOptions } from '../core/analysis/options.js';
import { evaluateCycle, INITIAL_EVALUATOR_STATE, type EvaluatorContext, type EvaluatorState, type PlannedNotification } from '../core/alerting/evaluator.js';
import type { Silence } from '../core/alerting/rule-match.js';
import type { PoolHistory, PoolVerdict, Snapshot } from '../core/types.js';
import { Outbox, type DeliverySummary, type OutboxOptions } from '../notify/outbox.js';
import type { Notifier } from '../notify/notifier.js';
import type { Source } from '../sources/source.js';
import type { StateStore } from '../state/store.js';
import { RawJson, STATE_VERSION } from '../state/store.js';
import type { SkewwatchMetrics } from '../http/metrics.js';
import type { Clock } from '../util/clock.js';
import { errorMessage, isSkewwatchError, SkewwatchError } from '../util/errors.js';
import { redactText } from '../util/redact.js';
import { VisibilityTracker } from './visibility.js';
import { BalancerWatch, type BalancerWatchState } from './balancer-watch.js';
import { ownedPart } from './shard-filter.js';
import { CompactVerdicts } from './compact-verdicts.js';

export interface DaemonParts {
  readonly loaded: LoadedConfig;
  readonly source: Source;
  readonly notifiers: readonly Notifier[];
  readonly analysis: AnalysisOptions;
  readonly context: EvaluatorContext;
}

export interface DaemonOptions extends DaemonParts {
  readonly store: StateStore;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: SkewwatchMetrics;
  /** Silences beyond the config's (the CLI's silences.json), read every cycle. */
  readonly extraSilences?: () => readonly Silence[];
  /** Jitter source for retries (tests pin it). */
  readonly random?: () => number;
  /** Observes every cycle (record, demo, tests). */
  readonly onCycle?: (report: CycleReport) => void;
  /**
   * The state file is rewritten at once when alert state, the outbox or the
   * balancer memory changed, and otherwise (only histories moved on) at most
   * once per this many clock ms. Default HISTORY_FLUSH_MS.
   */
  readonly historyFlushMs?: number;
}

/**
 * Default bound on how stale the histories in the state file may be: a
 * SIGKILL loses at most this much of the forecast's trend (4 points of the
 * 600 s history at a 15 s interval), never an alert state or a queued
 * notification. Writing the ~10 MiB file every cycle only to add one point
 * per pool was most of a cycle's cost at 10,000 backends.
 */
export const HISTORY_FLUSH_MS = 60_000;

/** Pools analysed between two turns of the event loop (~10 ms of analysis on the development machine). */
export const ANALYSIS_SLICE = 250;

export interface CycleReport {
  readonly at: number;
  readonly ok: boolean;
  readonly snapshot: Snapshot | null;
  readonly error: string | null;
  readonly verdicts: readonly PoolVerdict[];
  readonly planned: readonly PlannedNotification[];
  readonly durationMs: number;
}

export class Daemon {
  private parts: DaemonParts;
  private evaluator: EvaluatorState = INITIAL_EVALUATOR_STATE;
  private histories = new Map<string, PoolHistory>();
  private outboxImpl: Outbox;
  /** For /api/v1/status, packed (compact-verdicts.ts): held between cycles for every pool. */
  private lastVerdicts: CompactVerdicts = CompactVerdicts.EMPTY;
  private lastSuccessAt: number | null = null;
  private lastErrorKind: string | null = null;
  private configSilences: readonly Silence[];
  private readonly visibility: VisibilityTracker;
  /** The last state save failed (logged once per change of the error). */
  private saveError: string | null = null;
  private inFlight: Promise<void> = Promise.resolve();
  /** The alert state, outbox and balancer memory as last written, and when the file was last written (clock ms). */
  private writtenCritical: CriticalText | null = null;
  private writtenAt: number | null = null;
  private balancer: BalancerWatch;

  constructor(private readonly opts: DaemonOptions, configSilences: readonly Silence[] = []) {
    this.parts = opts;
    this.configSilences = configSilences;
    this.visibility = new VisibilityTracker(opts.log);
    this.balancer = this.makeBalancerWatch(opts);
    this.outboxImpl = this.makeOutbox(opts.notifiers, undefined);
    const saved = opts.store.load();
    if (saved) {
      this.evaluator = saved.evaluator;
      this.histories = new Map(Object.entries(saved.histories));
      this.balancer.restoreState(saved.balancer);
      try {
        this.outboxImpl = this.makeOutbox(opts.notifiers, saved.outbox);
      } catch (e) {
        opts.log.error({ err: e }, 'outbox in the state file is damaged: starting with an empty outbox');
      }
      const firing = Object.values(this.evaluator.alerts).filter((a) => a.state.phase === 'firing').length;
      opts.log.info({ alerts: Object.keys(this.evaluator.alerts).length, firing, queued: this.outboxImpl.size }, 'state restored');
    }
  }

  get outbox(): Outbox {
    return this.outboxImpl;
  }

  /** Pools whose forecast history the daemon keeps (what the next state write persists). */
  get historyCount(): number {
    return this.histories.size;
  }

  get config(): LoadedConfig['config'] {
    return this.parts.loaded.config;
  }

  private makeBalancerWatch(parts: DaemonParts): BalancerWatch {
    return new BalancerWatch({
      config: parts.loaded.config,
      baseDir: parts.loaded.baseDir ?? process.cwd(),
      ...(parts.loaded.files[0] ? { configFile: parts.loaded.files[0] } : {}),
      log: this.opts.log,
      availableSinks: parts.context.availableSinks,
    });
  }

  private makeOutbox(notifiers: readonly Notifier[], saved: unknown): Outbox {
    const { metrics, clock, log } = this.opts;
    const d = this.parts.loaded.config.delivery;
    const options: OutboxOptions = {
      notifiers,
      clock,
      logger: log,
      ...(this.opts.random ? { random: this.opts.random } : {}),
      retry: { baseDelayMs: d.initial_backoff, maxDelayMs: d.max_backoff, maxAgeMs: d.max_age },
      onResult: (r) => metrics.notifications.inc({ sink: r.sink, outcome: r.outcome }),
    };
    return saved === undefined ? new Outbox(options) : Outbox.fromJSON(saved, options);
  }

  /** Swaps config, source and sinks (SIGHUP), keeping alert state, history and queued notifications. */
  reconfigure(parts: DaemonParts, configSilences: readonly Silence[]): void {
    const saved = this.outboxImpl.toJSON();
    // The old source's keep-alive sockets are released once the cycle that
    // may still use it has finished.
    const old = this.parts.source;
    if (old !== parts.source) {
      void this.inFlight.then(() => old.close?.()).catch((e: unknown) => this.opts.log.warn({ err: e }, 'closing the previous source failed'));
    }
    this.parts = parts;
    this.configSilences = configSilences;
    this.outboxImpl = this.makeOutbox(parts.notifiers, saved);
    // The new declaration and sinks, the same change log and restore memory.
    const kept = this.balancer.toJSON();
    this.balancer = this.makeBalancerWatch(parts);
    this.balancer.restoreState(kept);
  }

  private silences(): Silence[] {
    let extra: readonly Silence[] = [];
    try {
      extra = this.opts.extraSilences?.() ?? [];
    } catch (e) {
      this.opts.log.warn({ err: e }, 'cannot read silences file; using config silences only');
    }
    return [...this.configSilences, ...extra];
  }

  /** One evaluation at `now`. Never throws for source problems: they become "no data". */
  async cycle(now: number, signal?: AbortSignal): Promise<CycleReport> {
    const run = this.runCycle(now, signal);
    this.inFlight = run.then(() => undefined, () => undefined);
    return run;
  }

  private async runCycle(now: number, signal?: AbortSignal): Promise<CycleReport> {
    const { metrics, log, clock } = this.opts;
    const { source, analysis, context } = this.parts;
    const started = clock.now();
    let snapshot: Snapshot | null = null;
    let error: string | null = null;
    try {
      snapshot = await source.collect(now, signal);
      snapshot = ownedPart(snapshot, this.parts.loaded.config.shard);
    } catch (e) {
      error = redactText(errorMessage(e));
      const kind = isSkewwatchError(e) ? e.kind : 'unexpected';
      metrics.sourceErrors.inc({ kind });
      // Log when the error changes, not on every failed cycle.
      if (kind !== this.lastErrorKind) log.error({ kind, error }, 'source failed: holding alert states until data returns');
      else log.debug({ kind, error }, 'source still failing');
      this.lastErrorKind = kind;
    }
    if (snapshot && this.lastErrorKind !== null) {
      log.info({ after: this.evaluator.blindCycles }, 'source recovered');
      this.lastErrorKind = null;
    }

    let verdicts: readonly PoolVerdict[] = [];
    let changeEvents: readonly PlannedNotification[] = [];
    if (snapshot) {
      const result = await this.analyse(snapshot, analysis);
      // What changed on the balancer, the likely cause, declared vs running.
      const observed = this.balancer.observe(snapshot, result.verdicts);
      verdicts = observed.verdicts;
      changeEvents = observed.notifications;
      this.histories = result.histories;
      this.lastVerdicts = CompactVerdicts.of(verdicts);
      this.lastSuccessAt = now;
      this.visibility.observe(snapshot);
      metrics.signalsMissing.set(this.visibility.missing.length);
      metrics.recordVerdicts(verdicts);
      metrics.lastSuccess.set(now / 1000);
    }

    const result = evaluateCycle(
      this.evaluator,
      { now, verdicts: snapshot ? verdicts : null, ...(error ? { error } : {}), silences: this.silences(), missingSignals: this.visibility.missing.map((m) => m.configKey) },
      context,
    );
    this.evaluator = result.state;
    const restores = snapshot ? await this.balancer.remediate(this.evaluator, verdicts, this.silences(), now) : [];
    for (const p of [...result.notifications, ...changeEvents, ...restores]) {
      this.outboxImpl.enqueue(p.notification, p.sinks);
      log.info({ rule: p.notification.ruleId, pool: p.notification.pool, kind: p.notification.kind, sinks: p.sinks }, p.notification.summary);
    }
    this.persist();

    metrics.blindCycles.set(this.evaluator.blindCycles);
    metrics.recordAlerts(this.evaluator.alerts, context.rules.map((r) => r.id));
    this.recordOutbox();
    const durationMs = clock.now() - started;
    metrics.cycles.inc({ outcome: snapshot ? 'ok' : 'error' });
    metrics.pollDuration.observe({ outcome: snapshot ? 'ok' : 'error' }, durationMs / 1000);
    const report: CycleReport = { at: now, ok: snapshot !== null, snapshot, error, verdicts, planned: result.notifications, durationMs };
    this.opts.onCycle?.(report);
    return report;
  }

  /**
   * The analysis in slices of ANALYSIS_SLICE pools with a macrotask between
   * them (setImmediate: no delay, timers and sockets get their turn), so the
   * HTTP endpoints are never blocked for the whole fleet's analysis.
   */
  private async analyse(snapshot: Snapshot, analysis: AnalysisOptions): Promise<SnapshotAnalysis> {
    const steps = analyseSnapshotInSlices(snapshot, this.histories, analysis, ANALYSIS_SLICE);
    for (;;) {
      const r = steps.next();
      if (r.done) return r.value;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /** One delivery round over everything due. */
  async deliver(signal: AbortSignal): Promise<DeliverySummary> {
    const summary = await this.outboxImpl.deliverDue(this.opts.clock.now(), signal);
    if (summary.results.length > 0) this.persist();
    this.recordOutbox();
    return summary;
  }

  private recordOutbox(): void {
    const { metrics } = this.opts;
    metrics.outboxPending.reset();
    for (const [sink, n] of Object.entries(this.outboxImpl.pendingBySink())) metrics.outboxPending.set({ sink }, n);
  }

  /**
   * Saves the state when it must be: at once when the alert state, the
   * outbox or the balancer memory differ from what was last written (so a
   * crash never re-pages or loses a notification), else when the histories
   * were last written historyFlushMs ago or more (or the clock went back).
   * A failed save is retried on the next call.
   */
  persist(): void {
    const now = this.opts.clock.now();
    const outbox = this.outboxImpl.toJSONText();
    const balancer = this.balancer.toJSON();
    const critical = criticalText(this.evaluator, outbox, balancer);
    const flushMs = this.opts.historyFlushMs ?? HISTORY_FLUSH_MS;
    const historiesDue = this.writtenAt === null || now - this.writtenAt >= flushMs || now < this.writtenAt;
    if (this.writtenCritical !== null && sameCritical(critical, this.writtenCritical) && !historiesDue) return;
    if (this.save(now, outbox, balancer)) {
      this.writtenCritical = critical;
      this.writtenAt = now;
    }
  }

  /** Saves the state now, whatever changed (shutdown: nothing is left unwritten). */
  flush(): void {
    const now = this.opts.clock.now();
    const outbox = this.outboxImpl.toJSONText();
    const balancer = this.balancer.toJSON();
    if (this.save(now, outbox, balancer)) {
      this.writtenCritical = criticalText(this.evaluator, outbox, balancer);
      this.writtenAt = now;
    }
  }

  private save(now: number, outbox: string, balancer: BalancerWatchState): boolean {
    try {
      this.opts.store.save({
        version: STATE_VERSION,
        savedAt: now,
        evaluator: this.evaluator,
        outbox: new RawJson(outbox),
        histories: Object.fromEntries(this.histories),
        balancer,
      });
      if (this.saveError !== null) this.opts.log.info({ after: this.saveError }, 'state saved again');
      this.saveError = null;
      this.opts.metrics.stateSaveFailing.set(0);
      return true;
    } catch (e) {
      // Monitoring and alerting go on from memory; the failure is counted
      // every time and logged when it starts or changes, not every cycle.
      this.opts.metrics.stateSaveErrors.inc();
      this.opts.metrics.stateSaveFailing.set(1);
      const message = errorMessage(e);
      if (message !== this.saveError) {
        this.opts.log.error({ err: e instanceof SkewwatchError ? e : new Error(message) }, 'cannot persist state: alerting goes on from memory; will retry every cycle');
      }
      this.saveError = message;
      return false;
    }
  }

  /** Releases the source's resources (keep-alive agents). */
  async close(): Promise<void> {
    await this.parts.source.close?.();
  }

  readiness(now: number): { ready: boolean; reason: string } {
    const { interval, ready_after_intervals: n } = this.parts.loaded.config;
    if (this.lastSuccessAt === null) return { ready: false, reason: 'no successful collection yet' };
    // Zero pools is blindness too (wrong matchers or preset): not ready.
    if (this.visibility.noPools) return { ready: false, reason: 'the last collection found no pools: check source.matchers and source.preset' };
    const age = now - this.lastSuccessAt;
    if (age > n * interval) return { ready: false, reason: `last successful collection ${Math.round(age / 1000)}s ago (limit ${(n * interval) / 1000}s)` };
    return { ready: true, reason: `ok: last successful collection ${Math.round(age / 1000)}s ago` };
  }

  status(now: number): unknown {
    const { config } = this.parts.loaded;
    return {
      now: new Date(now).toISOString(),
      namespace: config.namespace,
      source: {
        mode: config.source.mode,
        preset: config.source.preset,
        lastSuccessAt: this.lastSuccessAt === null ? null : new Date(this.lastSuccessAt).toISOString(),
        blindCycles: this.evaluator.blindCycles,
        lastError: this.evaluator.lastError,
        pools: this.visibility.found?.pools ?? null,
        backends: this.visibility.found?.backends ?? null,
        missingSignals: this.visibility.missing,
        stateSaveError: this.saveError,
      },
      pools: [...this.lastVerdicts].map((v) => ({
        pool: v.pool,
        labels: v.labels,
        severity: v.severity,
        reasons: v.reasons,
        explanation: v.explanation,
        totalRate: v.totalRate,
        hot: v.hot,
        starved: v.starved,
        unavailable: v.unavailable,
        stats: v.stats,
        cpu: v.cpu,
        forecast: v.forecast,
        backends: v.backends,
        changes: v.changes ?? [],
        drift: v.drift ?? null,
      })),
      declared: this.balancer.declaredStatus(),
      alerts: Object.values(this.evaluator.alerts).map((a) => ({
        rule: a.ruleId,
        name: a.ruleName,
        pool: a.pool,
        severity: a.severity,
        state: a.state.phase,
        activeAt: iso(a.state.activeAt),
        firedAt: iso(a.state.firedAt),
        resolvedAt: iso(a.state.resolvedAt),
        missingDataSince: iso(a.state.missingSince),
        silencedBy: a.silencedBy,
        inhibitedBy: a.inhibitedBy ?? null,
        dedupKey: a.dedupKey,
      })),
      outbox: Object.fromEntries(this.outboxImpl.sinkNames().map((s) => [s, this.outboxImpl.list(s).length])),
      silences: this.silences().filter((s) => s.endsAt > now),
    };
  }
}

/**
 * What a crash must not lose, as text to compare with the last write: the
 * alert states (phases, timers, what was notified where), the outbox and
 * the restore memory. Left out, because they move on every cycle like the
 * histories and are written with them at most historyFlushMs later:
 * savedAt; each alert's lastVerdict (the text of its next message),
 * lastHeldAt (recorded, read by nothing) and lastEvalAt (a gap since it
 * counts as blind time: after a crash a pending alert's `for` may end up to
 * historyFlushMs later, never earlier); the balancer's change log and
 * last-seen memory (a change that notifies changes the outbox, which is
 * written at once; one that does not is at worst logged again after a crash).
 */
interface CriticalText {
  readonly alerts: string;
  readonly outbox: string;
  readonly restore: string;
}

/**
 * The parts are compared one by one, not joined: joining made a long string
 * every cycle only to flatten it for one comparison (the outbox text is most
 * of it, and is already a string of its own).
 */
function sameCritical(a: CriticalText, b: CriticalText): boolean {
  return a.alerts === b.alerts && a.outbox === b.outbox && a.restore === b.restore;
}

function criticalText(evaluator: EvaluatorState, outbox: string, balancer: BalancerWatchState): CriticalText {
  // Copies without the moving fields, stringified as they are: a replacer
  // function (called for every key of every alert, every cycle) cost more
  // than the rest of the comparison.
  let alerts = `${evaluator.blindCycles}\n${JSON.stringify(evaluator.lastError)}`;
  for (const key in evaluator.alerts) {
    const { lastVerdict: _verdict, state, ...alert } = evaluator.alerts[key]!;
    const { lastHeldAt: _held, lastEvalAt: _eval, ...timers } = state;
    alerts += `\n${JSON.stringify(key)}${JSON.stringify(alert)}${JSON.stringify(timers)}`;
  }
  return { alerts, outbox, restore: JSON.stringify(balancer.restore) };
}

function iso(t: number | null): string | null {
  return t === null ? null : new Date(t).toISOString();
}
