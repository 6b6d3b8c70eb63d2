// What skewwatch can see, and saying so: the pools, backends and signals
// found (logged at start and whenever that changes), configured signals
// that are missing (partially blind), and zero pools (blind to everything).
// Each is logged once per change, never once per cycle.
import type { Logger } from 'pino';
import type { MissingSignal, Snapshot } from '../core/types.js';
import { redactText } from '../util/redact.js';

/** The signals a backend can carry, in the order they are listed (after rate and health, which every pool has). */
const SIGNALS = [
  ['weight', 'weight'], ['cpu', 'cpu'], ['cpuCapacity', 'cpu_capacity'], ['queue', 'queue'],
  ['errorRate', 'errors'], ['responseTime', 'response_time'], ['sessions', 'sessions'],
] as const;

/** Bit k set when at least one backend of the pool carries SIGNALS[k] (one pass over the backends). */
function signalMask(p: Snapshot['pools'][number]): number {
  let mask = 0;
  for (const b of p.backends) {
    for (let k = 0; k < SIGNALS.length; k++) if (b[SIGNALS[k]![0]] !== undefined) mask |= 1 << k;
  }
  return mask;
}

function signalNames(mask: number): string[] {
  const out = ['rate', 'health'];
  for (let k = 0; k < SIGNALS.length; k++) if (mask & (1 << k)) out.push(SIGNALS[k]![1]);
  return out;
}

export interface Discovery {
  readonly pools: number;
  readonly backends: number;
  readonly perPool: Readonly<Record<string, { readonly backends: number; readonly signals: readonly string[] }>>;
}

export function discover(snapshot: Snapshot): Discovery {
  return discovered(snapshot, snapshot.pools.map(signalMask));
}

function discovered(snapshot: Snapshot, masks: readonly number[]): Discovery {
  const perPool: Record<string, { backends: number; signals: string[] }> = {};
  let backends = 0;
  snapshot.pools.forEach((p, i) => {
    perPool[p.pool] = { backends: p.backends.length, signals: signalNames(masks[i]!) };
    backends += p.backends.length;
  });
  return { pools: snapshot.pools.length, backends, perPool };
}

/**
 * What discover() would say, as one string: equal strings, equal
 * discoveries (pools in order, each with its backend count and signals).
 * Built every cycle in place of the discovery itself, which is only rebuilt
 * when this changes.
 */
function fingerprintOf(snapshot: Snapshot, masks: readonly number[]): string {
  let key = `${snapshot.pools.length}`;
  snapshot.pools.forEach((p, i) => {
    key += `\n${p.backends.length} ${masks[i]!} ${JSON.stringify(p.pool)}`;
  });
  return key;
}

/** Pools listed in a log line at most; the count is always complete. */
const MAX_POOLS_LOGGED = 50;

export class VisibilityTracker {
  private discovery: Discovery | null = null;
  private fingerprint: string | null = null;
  private missingKey = '';
  private missingNow: readonly MissingSignal[] = [];

  constructor(private readonly log: Logger) {}

  get missing(): readonly MissingSignal[] {
    return this.missingNow;
  }

  get found(): Discovery | null {
    return this.discovery;
  }

  /** Zero pools in the last successful collection. */
  get noPools(): boolean {
    return this.discovery !== null && this.discovery.pools === 0;
  }

  observe(snapshot: Snapshot): void {
    const masks = snapshot.pools.map(signalMask);
    const fingerprint = fingerprintOf(snapshot, masks);
    const before = this.discovery;
    if (fingerprint !== this.fingerprint || before === null) {
      const found = discovered(snapshot, masks);
      const pools = Object.entries(found.perPool).slice(0, MAX_POOLS_LOGGED).map(([pool, p]) => ({ pool, backends: p.backends, signals: p.signals }));
      if (found.pools === 0) {
        this.log.warn(
          { pools: 0, before: before?.pools ?? null },
          before === null || before.pools === 0
            ? 'no pools found: skewwatch watches nothing; check source.matchers, source.preset and the pool labels (`skewwatch check` shows what the source returns)'
            : `all ${before.pools} pools disappeared from the source: skewwatch watches nothing now`,
        );
      } else {
        this.log.info({ pools: found.pools, backends: found.backends, detail: pools }, before === null ? 'found pools' : 'pools changed');
      }
      this.fingerprint = fingerprint;
      this.discovery = found;
    }

    const missing = (snapshot.missingSignals ?? []).map((m) => ({ ...m, reason: redactText(m.reason) }));
    const key = missing.map((m) => `${m.configKey}\u0000${m.reason}`).join('\n');
    if (key !== this.missingKey) {
      const recovered = this.missingNow.filter((m) => !missing.some((n) => n.configKey === m.configKey));
      for (const m of missing) {
        if (!this.missingNow.some((o) => o.configKey === m.configKey && o.reason === m.reason)) {
          this.log.warn({ signal: m.signal, query: m.configKey, reason: m.reason }, `signal missing: ${m.configKey} (${m.signal}) gives nothing usable; skewwatch is partially blind`);
        }
      }
      for (const m of recovered) this.log.info({ signal: m.signal, query: m.configKey }, `signal back: ${m.configKey}`);
      this.missingKey = key;
      this.missingNow = missing;
    }
  }
}
