import { loadConfig, type LoadedConfig } from '../config/load.js';
import { parseDuration } from '../config/units.js';
import { buildAnalysisOptions, buildPreset, buildQueries, httpSettings } from '../app/build.js';
import { PrometheusApi } from '../sources/prometheus-api.js';
import { loadRange } from '../replay/range-loader.js';
import { readRecording, type RecordedCycle } from '../replay/recording.js';
import { Replayer, type ReplayResult } from '../replay/engine.js';
import { applyOverrides } from '../replay/overrides.js';
import type { EvaluatorContext } from '../core/alerting/evaluator.js';
import { parse, UsageError, CONFIG_HELP, EXIT_OK, EXIT_ALERTING, type CommandIo } from './args.js';
import { renderTable } from './table.js';

const HELP = `Usage:
  skewwatch replay [--config FILE] --from TIME --to TIME [--step DURATION] [--set PATH=VALUE ...] [--json]
  skewwatch replay [--config FILE] --recording FILE [--set PATH=VALUE ...] [--json]

Backtests the rules: runs the same analysis and alert state machine the daemon
runs, over Prometheus history (query_range, chunked under the server's points
limit) or over a recording made with 'skewwatch record' or 'run --record', and
prints when each alert would have gone pending, fired and resolved.

With --set, prints the baseline and the variant side by side, e.g.
  --set TrafficSkewCritical.for=30s  --set TrafficSkew.when.above=1  --set analysis.skew_ratio=2

Options:
${CONFIG_HELP}
      --from TIME       start: ISO 8601 (2026-11-21T10:00:00Z), epoch seconds, or relative (-2h)
      --to TIME         end (same forms; default now)
      --step D          evaluation step (default: the config's interval)
      --recording FILE  replay a recording instead of Prometheus
      --set PATH=VALUE  override a rule or analysis setting (repeatable)
      --json            print JSON
  -h, --help            show this help

Exit status: 0 when no alert would have fired, 1 when some would, 2 on error.`;

export function parseTime(s: string, now: number): number {
  if (/^-\d/.test(s)) {
    const ms = parseDuration(s.slice(1));
    if (ms !== null) return now - ms;
  }
  if (/^\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1000);
  const t = Date.parse(s);
  if (Number.isNaN(t)) throw new UsageError(`replay: cannot read time ${JSON.stringify(s)}: use ISO 8601, epoch seconds or -2h`);
  return t;
}

function context(loaded: LoadedConfig): EvaluatorContext {
  // Every sink the rules name counts as available: replay shows what would be sent.
  const sinks = new Set(loaded.rules.flatMap((r) => [...r.sinks, ...r.overrides.flatMap((o) => o.sinks ?? [])]));
  return {
    namespace: loaded.config.namespace,
    rules: loaded.rules,
    alertmanagerResendMs: null,
    availableSinks: sinks,
    inhibitRules: loaded.inhibitRules,
    forOutageToleranceMs: loaded.config.alerting.for_outage_tolerance,
    vanishedPoolGraceMs: loaded.config.alerting.vanished_pool_grace,
  };
}

async function run(loaded: LoadedConfig, cycles: () => AsyncIterable<RecordedCycle> | Iterable<RecordedCycle>): Promise<ReplayResult> {
  const r = new Replayer(context(loaded), buildAnalysisOptions(loaded.config));
  for await (const c of cycles()) r.step(c);
  return r.result();
}

const iso = (t: number | null) => (t === null ? '-' : new Date(t).toISOString());

function render(title: string, r: ReplayResult): string {
  const head = `${title}: ${r.cycles} cycles from ${iso(r.from)} to ${iso(r.to)}${r.failedCycles ? ` (${r.failedCycles} without data)` : ''}`;
  if (r.transitions.length === 0) return `${head}\n  no alert would have gone pending or fired`;
  return `${head}\n${renderTable(['TIME', 'RULE', 'POOL', 'TRANSITION', 'WHY'], r.transitions.map((t) => [iso(t.at), t.rule, t.pool, `${t.from} -> ${t.to}`, t.explanation.slice(0, 100)]))}`;
}

export async function replayCommand(argv: string[], io: CommandIo): Promise<number> {
  const args = parse(argv, {
    config: { type: 'string', short: 'c' }, from: { type: 'string' }, to: { type: 'string' }, step: { type: 'string' },
    recording: { type: 'string' }, set: { type: 'string', multiple: true }, json: { type: 'boolean' },
  }, HELP, io);
  if (!args) return EXIT_OK;
  const v = args.values;
  const loaded = loadConfig({ ...(v.config ? { file: v.config } : {}), env: io.env });
  const sets = (v.set as string[] | undefined) ?? [];
  const variant = sets.length > 0 ? applyOverrides(loaded, sets) : null;
  const progress = (done: number, total: number) => {
    if ((io.err as { isTTY?: boolean }).isTTY && total > 1) io.err.write(`\rreplay: [${'#'.repeat(Math.round((done / total) * 30)).padEnd(30, '.')}] ${done}/${total} chunks`);
  };

  let cycles: () => AsyncIterable<RecordedCycle> | Iterable<RecordedCycle>;
  if (v.recording) {
    const rec = readRecording(v.recording);
    cycles = () => rec.cycles;
  } else {
    if (!v.from) throw new UsageError(`replay: --from is required (or --recording)\n\n${HELP}`);
    const p = loaded.config.source.prometheus;
    if (loaded.config.source.mode !== 'prometheus' || !p) throw new UsageError('replay: history replay needs source.mode prometheus with source.prometheus.url (or use --recording)');
    const now = Date.now();
    const fromMs = parseTime(v.from, now);
    const toMs = v.to ? parseTime(v.to, now) : now;
    const stepMs = v.step ? parseDuration(v.step) : loaded.config.interval;
    if (!stepMs) throw new UsageError('replay: --step must be a duration such as 15s');
    if (toMs <= fromMs) throw new UsageError('replay: --to must be after --from');
    const api = new PrometheusApi({ url: p.url, method: p.method, ...httpSettings(p, 60_000), maxResponseBytes: p.max_response_bytes });
    const preset = buildPreset(loaded.config);
    const s = loaded.config.source;
    const range = {
      api, queries: buildQueries(loaded.config, preset), fromMs, toMs, stepMs,
      poolLabels: s.pool_labels ?? preset.poolLabels, backendLabel: s.backend_label ?? preset.backendLabel, windowMs: s.rate_window,
      ...(s.include_pools ? { includePools: s.include_pools } : {}), ...(s.exclude_pools ? { excludePools: s.exclude_pools } : {}),
      onProgress: progress,
    };
    // Load once, replay baseline and variant over the same data.
    const loadedCycles: RecordedCycle[] = [];
    for await (const c of loadRange(range)) loadedCycles.push(c);
    if ((io.err as { isTTY?: boolean }).isTTY) io.err.write('\n');
    cycles = () => loadedCycles;
  }

  const baseline = await run(loaded, cycles);
  const tuned = variant ? await run(variant, cycles) : null;
  if (v.json) {
    io.out.write(`${JSON.stringify(tuned ? { baseline, variant: { set: sets, ...tuned } } : baseline, null, 2)}\n`);
  } else {
    io.out.write(`${render('baseline', baseline)}\n`);
    if (tuned) io.out.write(`\n${render(`with ${sets.join(' ')}`, tuned)}\n`);
  }
  const fired = (r: ReplayResult) => r.transitions.some((t) => t.to === 'firing');
  return fired(tuned ?? baseline) ? EXIT_ALERTING : EXIT_OK;
}
