// Judges one run against the simulator's ground truth. Plain data out, so
// that worker processes can send results to the parent.
import { INTERVAL_SECONDS, type Alerted, type RunTrace } from './harness.js';
import type { Detection, Kind } from './scenario.js';

export interface RunResult {
  readonly family: string;
  readonly kind: Kind;
  readonly size: number;
  readonly seed: number;
  readonly label: string;
  readonly poolHours: number;
  readonly cycles: number;
  /** Page triggers (pagerduty) and warning triggers (slack only), all of them. */
  readonly pages: number;
  readonly warnings: number;
  /** Pages that were not called for: every page of a benign run, pages before a fault started. */
  readonly falsePages: number;
  /** Benign warnings not expected by the family. */
  readonly falseWarnings: number;
  readonly expectedWarnings: number;
  /** Faults only. */
  readonly detection: Detection | null;
  readonly detected: boolean;
  /** The first page after the fault came after the simulated first 5xx. */
  readonly late: boolean;
  readonly faultAt: number | null;
  readonly firstPageAt: number | null;
  readonly first5xxAt: number | null;
  /** Seconds from the page to the first 5xx; the physical limit is first5xx - fault - 2 intervals. */
  readonly leadSeconds: number | null;
  readonly limitSeconds: number | null;
  readonly leadFraction: number | null;
  /** The scenario broke its own promise (a benign run with 5xx, a fault without): excluded, reported. */
  readonly invalid: string | null;
  /** The first false alert or the reason of a miss, for the run list. */
  readonly note: string | null;
}

export const BLIND_RULE = 'SkewwatchBlind';
/**
 * A benign run whose servers sat at their limit this long (work waiting 5 s
 * in a row, counted per second) was not benign: a server without an
 * admission limit never sheds, so 5xx alone would miss it. Short Poisson
 * bursts at 85% stay far below a minute.
 */
export const BENIGN_SATURATION_LIMIT = 60;

/** Seconds after a fault within which a total outage must page: checks (3 x 2 s), the next scrape, two more cycles. */
export function outageDeadline(faultAt: number): number {
  return faultAt + 6 + 3 * INTERVAL_SECONDS;
}

function describe(a: Alerted | undefined): string | null {
  return a ? `t=${a.at}s ${a.rule} [${a.reasons.join(',')}] ${a.text}` : null;
}

export function judge(trace: RunTrace): RunResult {
  const sc = trace.scenario;
  const truth = trace.fleet.truth;
  const poolHours = trace.seconds / 3600;
  const common = {
    family: sc.family, kind: sc.kind, size: sc.size, seed: sc.seed, label: sc.label, poolHours, cycles: trace.cycles,
    pages: trace.pages.length, warnings: trace.warnings.length, first5xxAt: truth.first5xxAt,
  };
  if (sc.kind === 'benign') {
    // SkewwatchBlind says the monitor cannot see (the simulator failed its
    // scrapes on purpose): true, and not a judgement of the pool.
    const unexpected = trace.warnings.filter((w) => w.rule !== BLIND_RULE && !(sc.expectedWarning && w.reasons.includes(sc.expectedWarning)));
    return {
      ...common, falsePages: trace.pages.length, falseWarnings: unexpected.length, expectedWarnings: trace.warnings.length - unexpected.length,
      detection: null, detected: false, late: false, faultAt: null, firstPageAt: trace.pages[0]?.at ?? null,
      leadSeconds: null, limitSeconds: null, leadFraction: null,
      invalid: truth.first5xxAt !== null ? `benign run had ${truth.total5xx} 5xx from t=${truth.first5xxAt}s`
        : truth.saturatedSeconds >= BENIGN_SATURATION_LIMIT ? `benign run saturated a server for ${truth.saturatedSeconds}s from t=${truth.firstSaturatedAt}s`
        : null,
      note: describe(trace.pages[0]) ?? describe(unexpected[0]),
    };
  }

  const faultAt = sc.faultAt!;
  const detection = sc.detection ?? 'before-5xx';
  const early = trace.pages.filter((p) => p.at < faultAt);
  const page = trace.pages.find((p) => p.at >= faultAt);
  const pageAt = page?.at ?? null;
  let detected = false;
  let late = false;
  let invalid: string | null = null;
  let leadSeconds: number | null = null;
  let limitSeconds: number | null = null;
  let leadFraction: number | null = null;
  const f5 = truth.first5xxAt;
  if (detection === 'before-5xx') {
    if (f5 === null || f5 < faultAt) invalid = f5 === null ? 'fault run never produced a 5xx' : `5xx before the fault (t=${f5}s)`;
    else if (pageAt !== null) {
      detected = pageAt < f5;
      late = !detected;
      if (detected) {
        leadSeconds = f5 - pageAt;
        limitSeconds = f5 - faultAt - 2 * INTERVAL_SECONDS;
        leadFraction = limitSeconds > 0 ? leadSeconds / limitSeconds : null;
      }
    }
  } else if (detection === 'while-saturated') {
    if (truth.firstSaturatedAt === null) invalid = 'spill run never saturated';
    else if (f5 !== null) invalid = `spill run produced 5xx at t=${f5}s`;
    else if (pageAt !== null) detected = pageAt <= truth.lastSaturatedAt! + INTERVAL_SECONDS;
  } else {
    if (pageAt !== null) {
      detected = pageAt <= outageDeadline(faultAt);
      late = !detected;
    }
  }
  const note = early.length > 0
    ? `early: ${describe(early[0])}`
    : detected ? null
    : page ? `late: ${describe(page)} (first 5xx t=${f5}s)`
    : `missed: no page (fault t=${faultAt}s, first 5xx t=${f5}s, saturated from ${truth.firstSaturatedAt}s; ${trace.warnings.length} warnings)`;
  return {
    ...common, falsePages: early.length, falseWarnings: 0, expectedWarnings: 0, detection, detected, late, faultAt, firstPageAt: pageAt,
    leadSeconds, limitSeconds, leadFraction, invalid, note,
  };
}
