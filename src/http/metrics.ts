// skewwatch's own metrics, on its own prom-client Registry (never the global
// one, so tests and embedders can create several daemons).
import { Registry, Counter, Gauge, Histogram, collectDefaultMetrics } from 'prom-client';
import type { PoolVerdict } from '../core/types.js';
import type { TrackedAlert } from '../core/alerting/evaluator.js';
import { BackendRowView, fleetSeriesIndices, seriesIndices } from './backend-series.js';

/** Gauges prom-client's collectDefaultMetrics() names with a _total suffix. */
export const PROM_CLIENT_MISNAMED = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

export class SkewwatchMetrics {
  readonly registry: Registry;
  readonly pollDuration: Histogram<'outcome'>;
  readonly cycles: Counter<'outcome'>;
  readonly skippedCycles: Counter;
  readonly sourceErrors: Counter<'kind'>;
  readonly sourceWarnings: Counter<'signal'>;
  readonly lastSuccess: Gauge;
  readonly blindCycles: Gauge;
  readonly pools: Gauge;
  readonly poolSeverity: Gauge<'pool'>;
  readonly poolPeakRatio: Gauge<'pool'>;
  readonly poolCv: Gauge<'pool'>;
  readonly poolGini: Gauge<'pool'>;
  readonly poolJain: Gauge<'pool'>;
  readonly poolMaxDeviation: Gauge<'pool'>;
  readonly poolPValue: Gauge<'pool'>;
  readonly poolRate: Gauge<'pool'>;
  readonly poolSaturation: Gauge<'pool' | 'backend'>;
  readonly backendShare: Gauge<'pool' | 'backend'>;
  readonly backendExpected: Gauge<'pool' | 'backend'>;
  readonly backendUtilisation: Gauge<'pool' | 'backend'>;
  readonly alerts: Gauge<'rule' | 'state'>;
  readonly notifications: Counter<'sink' | 'outcome'>;
  readonly outboxPending: Gauge<'sink'>;
  readonly stateSaveErrors: Counter;
  readonly reloads: Counter<'outcome'>;
  readonly lastReloadSuccessful: Gauge;
  readonly lastReloadSuccessTime: Gauge;
  readonly signalsMissing: Gauge;
  readonly stateSaveFailing: Gauge;

  /** Per-backend series per pool beyond the flagged ones (see backendsWithSeries). */
  readonly backendsPerPool: number;
  /** Backends with per-backend series across the whole fleet (see fleetBackendSeries). */
  readonly backendsMax: number;

  constructor(opts: { defaultMetrics?: boolean; version?: string; revision?: string; nodeVersion?: string; backendsPerPool?: number; backendsMax?: number } = {}) {
    this.backendsPerPool = opts.backendsPerPool ?? DEFAULT_BACKENDS_PER_POOL;
    this.backendsMax = opts.backendsMax ?? DEFAULT_BACKENDS_MAX;
    const registers = [(this.registry = new Registry())];
    if (opts.defaultMetrics) {
      // Standard names, no prefix: dashboards and restart alerts look for
      // process_cpu_seconds_total and process_start_time_seconds.
      collectDefaultMetrics({ register: this.registry });
      // prom-client names three gauges *_total, which `promtool check
      // metrics` rejects (only counters end in _total); the same counts
      // stay available by type in nodejs_active_{handles,requests,resources}.
      for (const name of PROM_CLIENT_MISNAMED) this.registry.removeSingleMetric(name);
    }
    const g = <L extends string>(name: string, help: string, labelNames: readonly L[] = [], collect?: () => void) =>
      new Gauge<L>({ name, help, labelNames, registers, ...(collect ? { collect } : {}) });
    // The per-pool, per-backend and per-alert series are filled in when
    // /metrics is read (prom-client calls `collect` first), from what the
    // last cycle recorded: a cycle no longer hashes every label set of the
    // fleet, and a daemon nobody scrapes does no such work at all.
    const verdictSeries = () => this.flushVerdicts();
    const alertSeries = () => this.flushAlerts();
    const c = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) => new Counter<L>({ name, help, labelNames, registers });

    g('skewwatch_build_info', 'skewwatch build information (version, source revision, Node.js version).', ['version', 'revision', 'nodejs_version'])
      .set({ version: opts.version ?? 'dev', revision: opts.revision ?? 'unknown', nodejs_version: opts.nodeVersion ?? process.versions.node }, 1);
    this.pollDuration = new Histogram({
      name: 'skewwatch_poll_duration_seconds',
      help: 'Duration of one collect-analyse-evaluate cycle.',
      labelNames: ['outcome'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.cycles = c('skewwatch_cycles_total', 'Evaluation cycles by outcome (ok, error).', ['outcome']);
    this.skippedCycles = c('skewwatch_cycles_skipped_total', 'Cycles skipped because the previous one was still running.');
    this.sourceErrors = c('skewwatch_source_errors_total', 'Failed collections by error kind.', ['kind']);
    this.sourceWarnings = c('skewwatch_source_warnings_total', 'Non-fatal source problems by signal.', ['signal']);
    this.lastSuccess = g('skewwatch_last_success_timestamp_seconds', 'Time of the last successful collection.');
    this.blindCycles = g('skewwatch_blind_cycles', 'Consecutive failed collections (0 when the source works).');
    this.pools = g('skewwatch_pools', 'Pools seen in the last successful collection.');
    this.poolSeverity = g('skewwatch_pool_severity', 'Verdict per pool: 0 ok, 1 warning, 2 critical.', ['pool'], verdictSeries);
    this.poolPeakRatio = g('skewwatch_pool_peak_ratio', 'Hottest backend observed/expected share ratio (1 = as configured).', ['pool'], verdictSeries);
    this.poolCv = g('skewwatch_pool_ratio_cv', 'Coefficient of variation of observed/expected ratios.', ['pool'], verdictSeries);
    this.poolGini = g('skewwatch_pool_gini', 'Gini coefficient of observed/expected ratios (0 = even).', ['pool'], verdictSeries);
    this.poolJain = g('skewwatch_pool_jain_index', "Jain's fairness index of observed/expected ratios (1 = fair).", ['pool'], verdictSeries);
    this.poolMaxDeviation = g('skewwatch_pool_max_deviation_percentage_points', 'Largest share deviation from the expected share.', ['pool'], verdictSeries);
    this.poolPValue = g('skewwatch_pool_skew_p_value', 'G-test p-value of the observed distribution against the expected one.', ['pool'], verdictSeries);
    this.poolRate = g('skewwatch_pool_requests_per_second', 'Requests per second across the pool.', ['pool'], verdictSeries);
    this.poolSaturation = g('skewwatch_pool_seconds_to_saturation', 'Forecast seconds until the hottest backend saturates (absent when not rising).', ['pool', 'backend'], verdictSeries);
    this.backendShare = g('skewwatch_backend_share_ratio', "Observed share of the pool's traffic (0..1).", ['pool', 'backend'], verdictSeries);
    this.backendExpected = g('skewwatch_backend_expected_share_ratio', 'Share the configuration intends (0..1).', ['pool', 'backend'], verdictSeries);
    this.backendUtilisation = g('skewwatch_backend_cpu_utilisation_ratio', 'CPU use / capacity (0..1).', ['pool', 'backend'], verdictSeries);
    this.alerts = g('skewwatch_alerts', 'Tracked alerts by rule and state (pending, firing, resolved).', ['rule', 'state'], alertSeries);
    this.notifications = c('skewwatch_notifications_total', 'Notification delivery attempts by sink and outcome.', ['sink', 'outcome']);
    this.outboxPending = g('skewwatch_outbox_pending', 'Notifications waiting for delivery, by sink.', ['sink']);
    this.stateSaveErrors = c('skewwatch_state_save_errors_total', 'Failed writes of the state file.');
    this.reloads = c('skewwatch_config_reloads_total', 'Configuration reloads by outcome (success, failure).', ['outcome']);
    this.lastReloadSuccessful = g('skewwatch_config_last_reload_successful', 'Whether the last configuration load or reload succeeded (1) or was rejected (0).');
    this.lastReloadSuccessTime = g('skewwatch_config_last_reload_success_timestamp_seconds', 'Time of the last successful configuration load or reload.');
    this.signalsMissing = g('skewwatch_signals_missing', 'Configured signals (CPU, weight, health...) that failed or joined no backend in the last collection: partially blind.');
    this.stateSaveFailing = g('skewwatch_state_save_failing', 'Whether the last write of the state file failed (1): alert state lives in memory only until it works again.');
  }

  /** What the last cycle recorded for the per-pool and per-backend series, until /metrics reads it. */
  private verdictData: VerdictSeries | null = null;
  /** Tracked alerts counted by rule and state, until /metrics reads them. */
  private alertData: { readonly ruleIds: readonly string[]; readonly counts: ReadonlyMap<string, ReadonlyMap<string, number>> } | null = null;

  /**
   * Replaces every per-pool and per-backend series (vanished pools
   * disappear). The values are copied out of the verdicts (numbers and the
   * name strings, not the verdicts: the daemon keeps only packed verdicts
   * between cycles) and become series when /metrics is read.
   */
  recordVerdicts(verdicts: readonly PoolVerdict[]): void {
    this.pools.set(verdicts.length);
    // Packed rows where the analysis made them: no BackendStat is built here (backend-series.ts).
    const views = verdicts.map((v) => BackendRowView.of(v));
    const withSeries = fleetSeriesIndices(verdicts, views, this.backendsPerPool, this.backendsMax);
    const n = verdicts.length;
    const pool = new Float64Array(n * POOL_FIELDS);
    const saturation: Array<{ pool: string; backend: string; value: number }> = [];
    const backends: Array<{ pool: string; backend: string; share: number; expected: number; utilisation: number | null }> = [];
    for (let i = 0; i < n; i++) {
      const v = verdicts[i]!;
      const o = i * POOL_FIELDS;
      pool[o] = v.severity === 'critical' ? 2 : v.severity === 'warning' ? 1 : 0;
      pool[o + 1] = v.stats.peakRatio;
      pool[o + 2] = v.stats.cv;
      pool[o + 3] = v.stats.gini;
      pool[o + 4] = v.stats.jain;
      pool[o + 5] = v.stats.maxDeviationPp;
      pool[o + 6] = v.stats.pValue;
      pool[o + 7] = v.totalRate;
      if (v.forecast?.secondsToSaturation != null) saturation.push({ pool: v.pool, backend: v.forecast.backend, value: v.forecast.secondsToSaturation });
      const view = views[i]!;
      for (const j of withSeries[i]!) backends.push({ pool: v.pool, backend: view.name(j), share: view.share(j), expected: view.expectedShare(j), utilisation: view.utilisation(j) });
    }
    this.verdictData = { names: verdicts.map((v) => v.pool), pool, saturation, backends };
  }

  private flushVerdicts(): void {
    const d = this.verdictData;
    if (d === null) return;
    this.verdictData = null;
    const perPool = [this.poolSeverity, this.poolPeakRatio, this.poolCv, this.poolGini, this.poolJain, this.poolMaxDeviation, this.poolPValue, this.poolRate];
    for (const m of [...perPool, this.poolSaturation, this.backendShare, this.backendExpected, this.backendUtilisation]) m.reset();
    for (let i = 0; i < d.names.length; i++) {
      const labels = { pool: d.names[i]! };
      for (let f = 0; f < POOL_FIELDS; f++) perPool[f]!.set(labels, d.pool[i * POOL_FIELDS + f]!);
    }
    for (const s of d.saturation) this.poolSaturation.set({ pool: s.pool, backend: s.backend }, s.value);
    for (const b of d.backends) {
      const labels = { pool: b.pool, backend: b.backend };
      this.backendShare.set(labels, b.share);
      this.backendExpected.set(labels, b.expected);
      if (b.utilisation !== null) this.backendUtilisation.set(labels, b.utilisation);
    }
  }

  /** Replaces the tracked-alert counts (every rule and state present, 0 when none); series when /metrics is read. */
  recordAlerts(alerts: Readonly<Record<string, TrackedAlert>>, ruleIds: readonly string[]): void {
    const counts = new Map<string, Map<string, number>>();
    for (const a of Object.values(alerts)) {
      if (a.state.phase === 'inactive') continue;
      let byState = counts.get(a.ruleId);
      if (byState === undefined) counts.set(a.ruleId, (byState = new Map()));
      byState.set(a.state.phase, (byState.get(a.state.phase) ?? 0) + 1);
    }
    this.alertData = { ruleIds, counts };
  }

  private flushAlerts(): void {
    const d = this.alertData;
    if (d === null) return;
    this.alertData = null;
    this.alerts.reset();
    for (const rule of d.ruleIds) for (const state of ['pending', 'firing', 'resolved']) this.alerts.set({ rule, state }, 0);
    for (const [rule, byState] of d.counts) for (const [state, k] of byState) this.alerts.inc({ rule, state }, k);
  }
}

/** Per-pool gauges in recordVerdicts' order: severity, peak ratio, cv, gini, jain, max deviation, p-value, rate. */
const POOL_FIELDS = 8;

interface VerdictSeries {
  readonly names: readonly string[];
  /** POOL_FIELDS values per pool. */
  readonly pool: Float64Array;
  readonly saturation: ReadonlyArray<{ readonly pool: string; readonly backend: string; readonly value: number }>;
  readonly backends: ReadonlyArray<{ readonly pool: string; readonly backend: string; readonly share: number; readonly expected: number; readonly utilisation: number | null }>;
}

/** Default of `metrics_backends_per_pool`. */
export const DEFAULT_BACKENDS_PER_POOL = 5;

/** Default of `metrics_backends_max`: 30,000 per-backend series (3 per backend) across the fleet. */
export const DEFAULT_BACKENDS_MAX = 10_000;

/**
 * The backends of each verdict that get per-backend series, under a global
 * cap of `max` backends (prom-client keeps one labels entry per series: at
 * 10,000 pools the per-pool cap alone meant 50,000 backends and ~20 MiB of
 * live heap, and a 17 MiB /metrics). Each pool's candidates are
 * backendsWithSeries(v, k); when they add up to more than `max`, flagged
 * backends go first (pool order), then the remaining budget is dealt out in
 * rounds: every pool's largest-share candidate, then every pool's second,
 * and so on, so a pool keeps its hottest backends before another pool
 * gets its fifth. Under the cap this is exactly backendsWithSeries.
 */
export function fleetBackendSeries(verdicts: readonly PoolVerdict[], k: number, max: number): PoolVerdict['backends'][] {
  const views = verdicts.map((v) => BackendRowView.ofObjects(v));
  return fleetSeriesIndices(verdicts, views, k, max).map((indices, i) => indices.map((j) => verdicts[i]!.backends[j]!));
}

/**
 * The backends of a pool that get per-backend series: every flagged one (hot,
 * starved, unavailable, the forecast's) plus the top `k` by observed share.
 * This caps /metrics at about (k + flagged) x 3 series per pool, whatever the
 * pool size, so a 100,000-backend fleet does not export 300,000 series.
 */
export function backendsWithSeries(v: PoolVerdict, k: number): PoolVerdict['backends'] {
  if (v.backends.length <= k) return v.backends;
  return seriesIndices(v, BackendRowView.ofObjects(v), k).map((j) => v.backends[j]!);
}
