// Loads history from Prometheus with query_range, one query per signal per
// chunk, and yields the snapshots the live daemon would have built at each
// step. Chunks keep every series under the server's points-per-series limit
// (Prometheus refuses more than 11,000).
import type { QuerySet } from '../signals/query-set.js';
import type { PrometheusApi, VectorSample } from '../sources/prometheus-api.js';
import { SIGNALS, SnapshotAssembler, type AssemblyOptions, type Signal } from '../sources/prometheus.js';
import type { RecordedCycle } from './recording.js';

export const MAX_POINTS_PER_SERIES = 11_000;

export interface RangeOptions extends AssemblyOptions {
  readonly api: PrometheusApi;
  readonly queries: QuerySet;
  readonly fromMs: number;
  readonly toMs: number;
  readonly stepMs: number;
  /** Points per series per request (default 10,000, under Prometheus' limit). */
  readonly pointsPerChunk?: number;
  readonly onProgress?: (done: number, total: number) => void;
}

export async function* loadRange(opts: RangeOptions, signal?: AbortSignal): AsyncGenerator<RecordedCycle> {
  const per = Math.min(opts.pointsPerChunk ?? 10_000, MAX_POINTS_PER_SERIES);
  const assembler = new SnapshotAssembler(opts);
  const signals = SIGNALS.filter((s) => opts.queries[s] !== undefined);
  const totalSteps = Math.floor((opts.toMs - opts.fromMs) / opts.stepMs) + 1;
  const chunks = Math.max(1, Math.ceil(totalSteps / per));
  for (let c = 0; c < chunks; c++) {
    const start = opts.fromMs + c * per * opts.stepMs;
    const end = Math.min(opts.toMs, start + (per - 1) * opts.stepMs);
    const results = await Promise.all(signals.map((s) => opts.api.queryRange(opts.queries[s]!, start, end, opts.stepMs, signal)));
    // Regroup: timestamp -> signal -> vector.
    const byTime = new Map<number, Array<[Signal, VectorSample[]]>>();
    results.forEach((r, i) => {
      for (const series of r.data) {
        for (const [t, v] of series.values) {
          const at = Math.round(t * 1000);
          let row = byTime.get(at);
          if (!row) byTime.set(at, (row = []));
          let entry = row.find((e) => e[0] === signals[i]);
          if (!entry) row.push((entry = [signals[i]!, []]));
          entry[1].push({ metric: series.metric, value: v });
        }
      }
    });
    for (let at = start; at <= end; at += opts.stepMs) {
      // An empty step is what an instant query would have answered then:
      // a snapshot without pools (alerts hold), not a source failure.
      yield { at, snapshot: assembler.assemble(at, byTime.get(at) ?? []) };
    }
    opts.onProgress?.(c + 1, chunks);
  }
}
