// Scenario parameters: how the offered load ramps and what the fault does.
// The ramp is derived from the target timing rather than fixed numbers, so
// every fleet size and duration saturates the hot backend at the same point of
// the run: at the fault the hot backend sits at `hotUtilAtFault` and it reaches
// 100 % CPU at `saturateAtFraction` of the duration.

export type Scenario = 'weight-misconfig' | 'sticky-clients' | 'healthy';

export const SCENARIOS: readonly Scenario[] = ['weight-misconfig', 'sticky-clients', 'healthy'];

export function isScenario(value: unknown): value is Scenario {
  return typeof value === 'string' && (SCENARIOS as readonly string[]).includes(value);
}

/** Options that shape the offered load; all fractions are of the run's duration. */
export interface RampParams {
  readonly scenario: Scenario;
  readonly backends: number;
  readonly capacityRps: number;
  readonly durationSeconds: number;
  readonly faultAtFraction: number;
  readonly saturateAtFraction: number;
  /** Share of the pool's traffic the hot backend receives once the fault is in. */
  readonly hotShare: number;
}

/** Hot backend utilisation at the moment the fault is injected. */
const HOT_UTIL_AT_FAULT = 0.6;
/** Healthy scenario: pool utilisation at the start and at the end of the run. */
const HEALTHY_START = 0.3;
const HEALTHY_END = 0.7;

/** Offered load in req/s at `t` seconds. Beyond the duration the load stays flat. */
export function offeredLoad(p: RampParams, t: number): number {
  const x = Math.min(Math.max(t / p.durationSeconds, 0), 1);
  const poolCapacity = p.backends * p.capacityRps;
  if (p.scenario === 'healthy') {
    return poolCapacity * (HEALTHY_START + (HEALTHY_END - HEALTHY_START) * x);
  }
  // Linear in x, through (fault, HOT_UTIL_AT_FAULT) and (saturate, 1) for the
  // hot backend's utilisation, converted to pool load with the hot share.
  const span = Math.max(p.saturateAtFraction - p.faultAtFraction, 1e-6);
  const hotUtil = HOT_UTIL_AT_FAULT + ((1 - HOT_UTIL_AT_FAULT) * (x - p.faultAtFraction)) / span;
  const load = (p.capacityRps / p.hotShare) * hotUtil;
  // A short fault-to-saturation span can push the start of the line under
  // zero: keep a trickle of traffic instead.
  return Math.max(load, 0.01 * poolCapacity);
}
