// Plain-text rendering of verdicts for `check` and `replay`.
import type { PoolVerdict } from '../core/types.js';

export function renderTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

export function renderVerdicts(verdicts: readonly PoolVerdict[], alerting: ReadonlyMap<string, string[]>): string {
  const rows = verdicts.map((v) => [
    v.pool,
    v.severity.toUpperCase(),
    v.totalRate.toFixed(1),
    v.stats.peakRatio.toFixed(2),
    v.stats.pValue < 1e-4 ? v.stats.pValue.toExponential(1) : v.stats.pValue.toFixed(4),
    v.hot.join(',') || '-',
    v.cpu.maxUtilisation === null ? '-' : pct(v.cpu.maxUtilisation),
    v.forecast?.secondsToSaturation == null ? '-' : `${Math.round(v.forecast.secondsToSaturation)}s`,
    (alerting.get(v.pool) ?? []).join(',') || '-',
  ]);
  const table = renderTable(['POOL', 'VERDICT', 'REQ/S', 'PEAK', 'P-VALUE', 'HOT', 'MAX CPU', 'SATURATES', 'ALERTING'], rows);
  const notes = verdicts.filter((v) => v.severity !== 'ok').map((v) => `  ${v.pool}: ${v.explanation}`);
  return notes.length > 0 ? `${table}\n\n${notes.join('\n')}` : table;
}

export function renderBackends(v: PoolVerdict): string {
  return renderTable(
    ['BACKEND', 'HEALTH', 'WEIGHT', 'REQ/S', 'SHARE', 'EXPECTED', 'RATIO', 'CPU', 'OUTLIER'],
    v.backends.map((b) => [
      b.backend, b.health, b.weight === null ? '-' : String(b.weight), b.rate.toFixed(1), pct(b.share), pct(b.expectedShare),
      b.ratio.toFixed(2), b.utilisation === null ? '-' : pct(b.utilisation), b.outlier ?? '-',
    ]),
  );
}
