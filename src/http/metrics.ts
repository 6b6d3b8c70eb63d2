// skewwatch's own metrics, on its own prom-client Registry (never the global
// one, so tests and embedders can create several daemons).
import { Registry, Counter, Gauge, Histogram, collectDefaultMetrics } from 'prom-client';
import type { PoolVerdict } from '../core/types.js';
import type { TrackedAlert } from '../core/alerting/evaluator.js';

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
    const g = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) => new Gauge<L>({ name, help, labelNames, registers });
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
    this.poolSeverity = g('skewwatch_pool_severity', 'Verdict per pool: 0 ok, 1 warning, 2 critical.', ['pool']);
    this.poolPeakRatio = g('skewwatch_pool_peak_ratio', 'Hottest backend observed/expected share ratio (1 = as configured).', ['pool']);
    this.poolCv = g('skewwatch_pool_ratio_cv', 'Coefficient of variation of observed/expected ratios.', ['pool']);
    this.poolGini = g('skewwatch_pool_gini', 'Gini coefficient of observed/expected ratios (0 = even).', ['pool']);
    this.poolJain = g('skewwatch_pool_jain_index', "Jain's fairness index of observed/expected ratios (1 = fair).", ['pool']);
    this.poolMaxDeviation = g('skewwatch_pool_max_deviation_percentage_points', 'Largest share deviation from the expected share.', ['pool']);
    this.poolPValue = g('skewwatch_pool_skew_p_value', 'G-test p-value of the observed distribution against the expected one.', ['pool']);
    this.poolRate = g('skewwatch_pool_requests_per_second', 'Requests per second across the pool.', ['pool']);
    this.poolSaturation = g('skewwatch_pool_seconds_to_saturation', 'Forecast seconds until the hottest backend saturates (absent when not rising).', ['pool', 'backend']);
    this.backendShare = g('skewwatch_backend_share_ratio', "Observed share of the pool's traffic (0..1).", ['pool', 'backend']);
    this.backendExpected = g('skewwatch_backend_expected_share_ratio', 'Share the configuration intends (0..1).', ['pool', 'backend']);
    this.backendUtilisation = g('skewwatch_backend_cpu_utilisation_ratio', 'CPU use / capacity (0..1).', ['pool', 'backend']);
    this.alerts = g('skewwatch_alerts', 'Tracked alerts by rule and state (pending, firing, resolved).', ['rule', 'state']);
    this.notifications = c('skewwatch_notifications_total', 'Notification delivery attempts by sink and outcome.', ['sink', 'outcome']);
    this.outboxPending = g('skewwatch_outbox_pending', 'Notifications waiting for delivery, by sink.', ['sink']);
    this.stateSaveErrors = c('skewwatch_state_save_errors_total', 'Failed writes of the state file.');
    this.reloads = c('skewwatch_config_reloads_total', 'Configuration reloads by outcome (success, failure).', ['outcome']);
    this.lastReloadSuccessful = g('skewwatch_config_last_reload_successful', 'Whether the last configuration load or reload succeeded (1) or was rejected (0).');
    this.lastReloadSuccessTime = g('skewwatch_config_last_reload_success_timestamp_seconds', 'Time of the last successful configuration load or reload.');
    this.signalsMissing = g('skewwatch_signals_missing', 'Configured signals (CPU, weight, health...) that failed or joined no backend in the last collection: partially blind.');
    this.stateSaveFailing = g('skewwatch_state_save_failing', 'Whether the last write of the state file failed (1): alert state lives in memory only until it works again.');
  }

  /** Replaces every per-pool and per-backend series (vanished pools disappear). */
  recordVerdicts(verdicts: readonly PoolVerdict[]): void {
    for (const m of [this.poolSeverity, this.poolPeakRatio, this.poolCv, this.poolGini, this.poolJain, this.poolMaxDeviation, this.poolPValue, this.poolRate, this.poolSaturation, this.backendShare, this.backendExpected, this.backendUtilisation]) m.reset();
    this.pools.set(verdicts.length);
    const withSeries = fleetBackendSeries(verdicts, this.backendsPerPool, this.backendsMax);
    for (let i = 0; i < verdicts.length; i++) {
      const v = verdicts[i]!;
      const pool = { pool: v.pool };
      this.poolSeverity.set(pool, v.severity === 'critical' ? 2 : v.severity === 'warning' ? 1 : 0);
      this.poolPeakRatio.set(pool, v.stats.peakRatio);
      this.poolCv.set(pool, v.stats.cv);
      this.poolGini.set(pool, v.stats.gini);
      this.poolJain.set(pool, v.stats.jain);
      this.poolMaxDeviation.set(pool, v.stats.maxDeviationPp);
      this.poolPValue.set(pool, v.stats.pValue);
      this.poolRate.set(pool, v.totalRate);
      if (v.forecast?.secondsToSaturation != null) this.poolSaturation.set({ pool: v.pool, backend: v.forecast.backend }, v.forecast.secondsToSaturation);
      for (const b of withSeries[i]!) {
        const labels = { pool: v.pool, backend: b.backend };
        this.backendShare.set(labels, b.share);
        this.backendExpected.set(labels, b.expectedShare);
        if (b.utilisation !== null) this.backendUtilisation.set(labels, b.utilisation);
      }
    }
  }

  recordAlerts(alerts: Readonly<Record<string, TrackedAlert>>, ruleIds: readonly string[]): void {
    this.alerts.reset();
    for (const rule of ruleIds) for (const state of ['pending', 'firing', 'resolved']) this.alerts.set({ rule, state }, 0);
    for (const a of Object.values(alerts)) {
      if (a.state.phase === 'inactive') continue;
      this.alerts.inc({ rule: a.ruleId, state: a.state.phase });
    }
  }
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
  const candidates = verdicts.map((v) => backendsWithSeries(v, k));
  const total = candidates.reduce((n, c) => n + c.length, 0);
  if (total <= max) return candidates;
  const flaggedOf = candidates.map((c, i) => {
    const flagged = flaggedNames(verdicts[i]!);
    return c.filter((b) => flagged.has(b.backend));
  });
  const rankedOf = candidates.map((c, i) => c.filter((b) => !flaggedOf[i]!.includes(b)).sort((a, b) => b.share - a.share));
  let budget = max;
  const kept = candidates.map(() => new Set<PoolVerdict['backends'][number]>());
  for (let i = 0; i < verdicts.length && budget > 0; i++) {
    for (const b of flaggedOf[i]!) {
      if (budget === 0) break;
      kept[i]!.add(b);
      budget--;
    }
  }
  for (let round = 0; budget > 0; round++) {
    let any = false;
    for (let i = 0; i < verdicts.length && budget > 0; i++) {
      const b = rankedOf[i]![round];
      if (b === undefined) continue;
      any = true;
      kept[i]!.add(b);
      budget--;
    }
    if (!any) break;
  }
  // In the pool's own order, as backendsWithSeries gives them.
  return candidates.map((c, i) => c.filter((b) => kept[i]!.has(b)));
}

function flaggedNames(v: PoolVerdict): Set<string> {
  const flagged = new Set<string>([...v.hot, ...v.starved, ...v.unavailable]);
  if (v.forecast?.backend) flagged.add(v.forecast.backend);
  return flagged;
}

/**
 * The backends of a pool that get per-backend series: every flagged one (hot,
 * starved, unavailable, the forecast's) plus the top `k` by observed share.
 * This caps /metrics at about (k + flagged) x 3 series per pool, whatever the
 * pool size, so a 100,000-backend fleet does not export 300,000 series.
 */
export function backendsWithSeries(v: PoolVerdict, k: number): PoolVerdict['backends'] {
  if (v.backends.length <= k) return v.backends;
  const flagged = flaggedNames(v);
  const top = new Set([...v.backends].sort((a, b) => b.share - a.share).slice(0, k).map((b) => b.backend));
  return v.backends.filter((b) => flagged.has(b.backend) || top.has(b.backend));
}
