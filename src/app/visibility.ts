// What skewwatch can see, and saying so: the pools, backends and signals
// found (logged at start and whenever that changes), configured signals
// that are missing (partially blind), and zero pools (blind to everything).
// Each is logged once per change, never once per cycle.
import type { Logger } from 'pino';
import type { MissingSignal, Snapshot } from '../core/types.js';
import { redactText } from '../util/redact.js';

/** Signals a pool has: those that at least one of its backends carries. */
function poolSignals(p: Snapshot['pools'][number]): string[] {
  const has = (k: 'weight' | 'cpu' | 'cpuCapacity' | 'queue' | 'errorRate' | 'responseTime' | 'sessions') => p.backends.some((b) => b[k] !== undefined);
  const out = ['rate', 'health'];
  if (has('weight')) out.push('weight');
  if (has('cpu')) out.push('cpu');
  if (has('cpuCapacity')) out.push('cpu_capacity');
  if (has('queue')) out.push('queue');
  if (has('errorRate')) out.push('errors');
  if (has('responseTime')) out.push('response_time');
  if (has('sessions')) out.push('sessions');
  return out;
}

export interface Discovery {
  readonly pools: number;
  readonly backends: number;
  readonly perPool: Readonly<Record<string, { readonly backends: number; readonly signals: readonly string[] }>>;
}

export function discover(snapshot: Snapshot): Discovery {
  const perPool: Record<string, { backends: number; signals: string[] }> = {};
  let backends = 0;
  for (const p of snapshot.pools) {
    perPool[p.pool] = { backends: p.backends.length, signals: poolSignals(p) };
    backends += p.backends.length;
  }
  return { pools: snapshot.pools.length, backends, perPool };
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
    const found = discover(snapshot);
    const fingerprint = JSON.stringify(found.perPool);
    const before = this.discovery;
    if (fingerprint !== this.fingerprint) {
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
    }
    this.discovery = found;

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
