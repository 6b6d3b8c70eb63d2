// Per-second rates from cumulative counters seen at successive scrapes.
//
// Pure bookkeeping: no clock, no I/O. The caller passes the time each scrape
// was taken (the midpoint of request and response, so that a slow response
// does not stretch one interval and shrink the next) and the counter values
// keyed by any stable series identity.
//
// Semantics follow Prometheus rate()/increase() without extrapolation:
// - a counter that goes down was reset (process restart): the increase over
//   that step is the new value, as if it had started from zero;
// - the first time a series is seen there is no rate yet;
// - a series missing from a scrape is gone: it is dropped from the output (it
//   is NOT a zero rate) and starts over as new if it comes back;
// - a scrape whose time is not after the previous one (clock step back,
//   duplicate) cannot give a rate: the history restarts from that scrape;
// - values that are NaN, infinite or negative are treated as missing.
//
// Smoothing: with `maxPoints` > 2 the rate spans the last maxPoints-1
// intervals (a sliding window over scrapes), which damps scrape jitter and
// bursty traffic at the price of reacting a little later.

export interface CounterPoint {
  /** Epoch milliseconds. */
  readonly at: number;
  readonly value: number;
}

export interface SeriesRate {
  /** Increase per second over the window. */
  readonly rate: number;
  /** Increase over the window (events counted), reset-aware. */
  readonly increase: number;
  /** Window length in seconds (time between the first and last point used). */
  readonly seconds: number;
}

export interface RateTrackerOptions {
  /** Scrapes kept per series, at least 2 (the default: rate between the last two scrapes). */
  readonly maxPoints?: number;
  /** Drop points older than this (ms) relative to the newest, keeping at least two. */
  readonly maxAgeMs?: number;
}

/** Increase between two readings of a counter, treating a decrease as a reset. */
export function counterIncrease(previous: number, next: number): number {
  return next >= previous ? next - previous : next;
}

/** Rate over a run of points (oldest first); undefined when fewer than 2 points or no time elapsed. */
export function rateOver(points: readonly CounterPoint[]): SeriesRate | undefined {
  if (points.length < 2) return undefined;
  const first = points[0]!;
  const last = points[points.length - 1]!;
  const seconds = (last.at - first.at) / 1000;
  if (!(seconds > 0) || !Number.isFinite(seconds)) return undefined;
  let increase = 0;
  for (let i = 1; i < points.length; i++) increase += counterIncrease(points[i - 1]!.value, points[i]!.value);
  return { rate: increase / seconds, increase, seconds };
}

function usable(v: number): boolean {
  return Number.isFinite(v) && v >= 0;
}

/** A point as the tracker keeps it: reused when it ages out (one object per series, not one per scrape). */
interface MutablePoint {
  at: number;
  value: number;
}

interface Series {
  points: MutablePoint[];
  /** The update (count) the series was last present in. */
  seen: number;
}

export class RateTracker {
  private readonly maxPoints: number;
  private readonly maxAgeMs: number;
  /**
   * Every series present in the last update (a series absent from an update
   * is dropped by it), updated in place: one lookup per series per scrape.
   */
  private readonly series = new Map<string, Series>();
  private updates = 0;
  private lastAt: number | undefined;
  private lastReady = false;

  constructor(options: RateTrackerOptions = {}) {
    const mp = options.maxPoints ?? 2;
    if (!Number.isInteger(mp) || mp < 2) throw new RangeError(`maxPoints must be an integer >= 2, got ${mp}`);
    this.maxPoints = mp;
    this.maxAgeMs = options.maxAgeMs ?? Infinity;
  }

  /** True when the last update produced at least one rate. */
  get ready(): boolean {
    return this.lastReady;
  }

  /** Time of the last accepted scrape, if any. */
  get lastScrapeAt(): number | undefined {
    return this.lastAt;
  }

  reset(): void {
    this.series.clear();
    this.lastAt = undefined;
    this.lastReady = false;
  }

  /**
   * Record one scrape and return the rate of every series present in it that
   * has history. Series absent from `counters` are forgotten.
   *
   * `times` gives a series its own sample time (an exposition timestamp, e.g.
   * from Prometheus' /federate, where it is the time of the underlying
   * scrape): the rate then spans the underlying scrapes, and a sample seen
   * again with the same timestamp adds no point, so a window never holds one
   * underlying scrape for one pod and two for another (a fake skew).
   */
  update(at: number, counters: ReadonlyMap<string, number>, times?: ReadonlyMap<string, number>): Map<string, SeriesRate> {
    const out = new Map<string, SeriesRate>();
    if (!Number.isFinite(at)) {
      this.reset();
      return out;
    }
    const previousAt = this.lastAt;
    const continuous = previousAt !== undefined && at > previousAt;
    const series = this.series;
    if (!continuous) series.clear();
    const update = ++this.updates;
    // Most scrapes carry no sample timestamps: then no lookup per series.
    const timed = times !== undefined && times.size > 0 ? times : undefined;
    // Series kept by this update: when that is all of them, none to drop (no second pass).
    let kept = 0;
    for (const [key, value] of counters) {
      if (!usable(value)) continue;
      const own = timed?.get(key);
      const t = own !== undefined && Number.isFinite(own) ? own : at;
      // Only a history present in the previous scrape is extended (every
      // series in the map was: absent ones are dropped below); a series
      // that skipped a scrape came back and starts over.
      const old = series.get(key);
      let points: MutablePoint[];
      if (old !== undefined && old.points.length > 0) {
        points = old.points;
        const lastT = points[points.length - 1]!.at;
        if (t > lastT) {
          if (points.length >= this.maxPoints) {
            // Full window: the oldest point becomes the newest.
            const p = points.shift()!;
            p.at = t;
            p.value = value;
            points.push(p);
          } else points.push({ at: t, value });
          while (points.length > this.maxPoints) points.shift();
          while (points.length > 2 && t - points[0]!.at > this.maxAgeMs) points.shift();
        } else if (t < lastT) {
          points = old.points = [{ at: t, value }];
        } // t === lastT: the same underlying sample again
        old.seen = update;
      } else {
        points = [{ at: t, value }];
        series.set(key, { points, seen: update });
      }
      kept++; // each key once: counters is a Map
      const r = rateOver(points);
      if (r !== undefined) out.set(key, r);
    }
    if (kept !== series.size) for (const [key, s] of series) if (s.seen !== update) series.delete(key);
    this.lastAt = at;
    this.lastReady = out.size > 0;
    return out;
  }
}
