// Aggregates run results into the per-family table and the totals line.
import type { RunResult } from './judge.js';

export interface FamilyRow {
  readonly family: string;
  readonly kind: 'benign' | 'fault';
  readonly runs: number;
  readonly poolHours: number;
  readonly pages: number;
  readonly warnings: number;
  readonly falsePages: number;
  readonly falseWarnings: number;
  readonly expectedWarnings: number;
  /** Faults: detected / valid runs. */
  readonly recall: number | null;
  readonly late: number;
  readonly missed: number;
  readonly medianLead: number | null;
  readonly minLead: number | null;
  readonly medianLeadFraction: number | null;
  readonly invalid: number;
  /** Benign false warnings per 1000 pool-hours. */
  readonly warningsPer1000: number | null;
  /** No false page, and for faults every valid run detected in time. */
  readonly perfect: boolean;
}

export function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function familyRow(family: string, results: readonly RunResult[]): FamilyRow {
  const kind = results[0]!.kind;
  const valid = results.filter((r) => r.invalid === null);
  const sum = (f: (r: RunResult) => number) => valid.reduce((a, r) => a + f(r), 0);
  const leads = valid.filter((r) => r.leadSeconds !== null).map((r) => r.leadSeconds!);
  const fractions = valid.filter((r) => r.leadFraction !== null).map((r) => r.leadFraction!);
  const detected = valid.filter((r) => r.detected).length;
  const poolHours = sum((r) => r.poolHours);
  const falsePages = sum((r) => r.falsePages);
  const falseWarnings = sum((r) => r.falseWarnings);
  const recall = kind === 'fault' ? (valid.length > 0 ? detected / valid.length : null) : null;
  return {
    family, kind, runs: results.length, poolHours, pages: sum((r) => r.pages), warnings: sum((r) => r.warnings),
    falsePages, falseWarnings, expectedWarnings: sum((r) => r.expectedWarnings), recall,
    late: valid.filter((r) => r.late).length,
    missed: kind === 'fault' ? valid.filter((r) => !r.detected && !r.late).length : 0,
    medianLead: median(leads), minLead: leads.length > 0 ? Math.min(...leads) : null, medianLeadFraction: median(fractions),
    invalid: results.length - valid.length,
    warningsPer1000: kind === 'benign' && poolHours > 0 ? (falseWarnings / poolHours) * 1000 : null,
    perfect: falsePages === 0 && results.length === valid.length && (kind === 'benign' || recall === 1),
  };
}

export interface Totals {
  readonly bench: 'detection';
  readonly benignPoolHours: number;
  readonly falsePages: number;
  readonly falseWarningsPer1000PoolHours: number;
  readonly faultRuns: number;
  readonly recall: number;
  readonly pagesAfterFirst5xx: number;
  readonly medianLeadFraction: number | null;
  readonly benignRuns: number;
  readonly missed: number;
  readonly invalidRuns: number;
  readonly familiesPerfect: number;
  readonly families: number;
  readonly targetsMet: boolean;
  readonly elapsedSeconds: number;
}

export function totals(rows: readonly FamilyRow[], results: readonly RunResult[], elapsedSeconds: number): Totals {
  const valid = results.filter((r) => r.invalid === null);
  const benign = valid.filter((r) => r.kind === 'benign');
  const faults = valid.filter((r) => r.kind === 'fault');
  const benignPoolHours = benign.reduce((a, r) => a + r.poolHours, 0);
  const falseWarnings = benign.reduce((a, r) => a + r.falseWarnings, 0);
  const falsePages = valid.reduce((a, r) => a + r.falsePages, 0);
  const recall = faults.length > 0 ? faults.filter((r) => r.detected).length / faults.length : 0;
  const pagesAfterFirst5xx = faults.filter((r) => r.late).length;
  const medianLeadFraction = median(faults.filter((r) => r.leadFraction !== null).map((r) => r.leadFraction!));
  const per1000 = benignPoolHours > 0 ? (falseWarnings / benignPoolHours) * 1000 : 0;
  const targetsMet = falsePages === 0 && benignPoolHours >= 10_000 && rows.every((r) => r.kind === 'benign' || r.recall === 1)
    && pagesAfterFirst5xx === 0 && (medianLeadFraction ?? 0) >= 0.8 && per1000 <= 1 && results.length === valid.length;
  return {
    bench: 'detection', benignPoolHours: round(benignPoolHours, 1), falsePages, falseWarningsPer1000PoolHours: round(per1000, 2),
    faultRuns: faults.length, recall: round(recall, 4), pagesAfterFirst5xx, medianLeadFraction: medianLeadFraction === null ? null : round(medianLeadFraction, 3),
    benignRuns: benign.length, missed: faults.filter((r) => !r.detected && !r.late).length, invalidRuns: results.length - valid.length,
    familiesPerfect: rows.filter((r) => r.perfect).length, families: rows.length, targetsMet, elapsedSeconds: round(elapsedSeconds, 1),
  };
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

const COLUMNS = ['family', 'runs', 'pool-h', 'pages', 'warns', 'recall', 'false pages', 'false warns/1000h', 'late', 'missed', 'lead med', 'lead min', 'lead/limit med', 'invalid'];

function fmt(v: number | null, digits = 0, suffix = ''): string {
  return v === null ? '-' : `${v.toFixed(digits)}${suffix}`;
}

export function renderTable(rows: readonly FamilyRow[]): string {
  const lines = rows.map((r) => [
    `${r.perfect ? ' ' : '!'} ${r.family}`, String(r.runs), r.poolHours.toFixed(0), String(r.pages), String(r.warnings) + (r.expectedWarnings ? ` (${r.expectedWarnings} expected)` : ''),
    r.recall === null ? '-' : `${(r.recall * 100).toFixed(0)}%`, String(r.falsePages), fmt(r.warningsPer1000, 1),
    r.kind === 'fault' ? String(r.late) : '-', r.kind === 'fault' ? String(r.missed) : '-',
    fmt(r.medianLead, 0, 's'), fmt(r.minLead, 0, 's'), r.medianLeadFraction === null ? '-' : `${(r.medianLeadFraction * 100).toFixed(0)}%`, String(r.invalid),
  ]);
  const widths = COLUMNS.map((c, i) => Math.max(c.length, ...lines.map((l) => l[i]!.length)));
  const row = (cells: readonly string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const out: string[] = [];
  for (const kind of ['benign', 'fault'] as const) {
    const group = lines.filter((_, i) => rows[i]!.kind === kind);
    if (group.length === 0) continue;
    out.push(`${kind === 'benign' ? 'BENIGN' : 'FAULTS'}`, row(COLUMNS.map((c, i) => (i === 0 ? `  ${c}` : c))), ...group.map(row), '');
  }
  return out.join('\n');
}
