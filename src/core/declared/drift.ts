// Is the balancer running what was declared? Compares one live pool sample
// with its declared pool. Pure. A runtime `set weight be/srv 256` shows in
// the exported weight at the next scrape, long before the server saturates:
// this is the earliest signal of the weight-misconfiguration incident.
//
//   weight drift     an up server's live weight differs from the declared
//                    one (not while it is inside its declared slowstart,
//                    where HAProxy ramps the effective weight on purpose);
//   state drift      declared in service but in MAINT/DRAIN live, or
//                    declared `disabled` but up live (health-check DOWN is
//                    health, not configuration: not a drift);
//   missing          declared but not reported; undeclared: reported but
//                    not declared;
//   backup drift     the live backup flag differs (when the source knows it).
//
// Level 2 (concentrating) when the drift piles traffic up:
//   - some server's live share of the weight of the servers in service is
//     ≥ concentrationFactor × its declared share (and at least 5 points more:
//     the load on that server is multiplied by that factor), or
//   - more than half of the declared in-service primaries are not in service.
// Level 1 for any other drift, 0 for none.

import type { PoolSample } from '../types.js';
import type { DeclaredPool } from './types.js';

export type DriftKind = 'weight' | 'state' | 'missing' | 'undeclared' | 'backup';

export interface DriftItem {
  readonly backend: string;
  readonly kind: DriftKind;
  readonly declared: string;
  readonly live: string;
}

export interface Concentration {
  readonly backend: string;
  readonly liveShare: number;
  readonly declaredShare: number;
}

export interface PoolDrift {
  readonly pool: string;
  /** 0 none, 1 drift, 2 drift that concentrates traffic. */
  readonly level: 0 | 1 | 2;
  readonly items: readonly DriftItem[];
  readonly concentration: Concentration | null;
  /** One line a person can act on; null when there is no drift. */
  readonly explanation: string | null;
  /** What live was compared with: the declaration (default), or the weights before a runtime change (weight-step.ts). */
  readonly baseline?: 'declared' | 'previous-weights';
}

export interface DriftOptions {
  readonly concentrationFactor: number;
}

export const DEFAULT_DRIFT_OPTIONS: DriftOptions = Object.freeze({ concentrationFactor: 2 });

/** Live weights are averaged over the rate window in query mode: half a unit is noise, not drift. */
const WEIGHT_TOLERANCE = 0.5;
const MIN_CONCENTRATION_GAP = 0.05;

function fmtWeight(w: number): string {
  return Number.isInteger(w) ? String(w) : w.toFixed(1);
}

export function compareDeclared(declared: DeclaredPool, sample: PoolSample, opts: DriftOptions = DEFAULT_DRIFT_OPTIONS): PoolDrift {
  const live = new Map(sample.backends.map((b) => [String(b.backend), b]));
  const items: DriftItem[] = [];
  const declaredNames = new Set<string>();
  let declaredInService = 0;
  let notInService = 0;
  // Weights of servers that are declared in service and up live, for the concentration test.
  const pairs: { name: string; declared: number; live: number }[] = [];

  for (const s of declared.servers) {
    declaredNames.add(s.name);
    const b = live.get(s.name);
    if (!b) {
      items.push({ backend: s.name, kind: 'missing', declared: `declared at ${s.at.file}:${s.at.line}`, live: 'not reported' });
      continue;
    }
    const primaryInService = !s.backup && !s.disabled && s.weight > 0;
    if (primaryInService) declaredInService++;
    if (!s.disabled && b.health === 'maint') {
      items.push({ backend: s.name, kind: 'state', declared: 'in service', live: 'MAINT/DRAIN' });
      if (primaryInService) notInService++;
    } else if (s.disabled && b.health === 'up') {
      items.push({ backend: s.name, kind: 'state', declared: 'disabled', live: 'UP' });
    }
    if (b.backup !== undefined && b.backup !== s.backup) {
      items.push({ backend: s.name, kind: 'backup', declared: s.backup ? 'backup' : 'primary', live: b.backup ? 'backup' : 'primary' });
    }
    const w = b.weight;
    const warming = s.slowstartMs !== null && typeof b.stateAgeSeconds === 'number' && b.stateAgeSeconds * 1000 < s.slowstartMs;
    if (b.health === 'up' && typeof w === 'number' && Number.isFinite(w) && w >= 0 && !warming) {
      if (Math.abs(w - s.weight) > WEIGHT_TOLERANCE) {
        items.push({ backend: s.name, kind: 'weight', declared: String(s.weight), live: fmtWeight(w) });
      }
      if (!s.backup && !s.disabled) pairs.push({ name: s.name, declared: s.weight, live: w });
    }
  }
  for (const name of live.keys()) {
    if (!declaredNames.has(name)) items.push({ backend: name, kind: 'undeclared', declared: 'not declared', live: 'reported' });
  }

  const concentration = findConcentration(pairs, opts);
  const tooFewInService = declaredInService > 0 && notInService * 2 > declaredInService;
  const level: 0 | 1 | 2 = items.length === 0 ? 0 : concentration || tooFewInService ? 2 : 1;
  return { pool: sample.pool, level, items, concentration, explanation: explain(sample.pool, items, concentration, tooFewInService ? [notInService, declaredInService] : null) };
}

function findConcentration(pairs: readonly { name: string; declared: number; live: number }[], opts: DriftOptions): Concentration | null {
  const dSum = pairs.reduce((a, p) => a + p.declared, 0);
  const lSum = pairs.reduce((a, p) => a + p.live, 0);
  if (pairs.length < 2 || !(dSum > 0) || !(lSum > 0)) return null;
  let worst: Concentration | null = null;
  for (const p of pairs) {
    const declaredShare = p.declared / dSum;
    const liveShare = p.live / lSum;
    if (liveShare - declaredShare < MIN_CONCENTRATION_GAP) continue;
    if (declaredShare > 0 && liveShare < opts.concentrationFactor * declaredShare) continue;
    if (!worst || liveShare / Math.max(declaredShare, 1e-9) > worst.liveShare / Math.max(worst.declaredShare, 1e-9)) {
      worst = { backend: p.name, liveShare, declaredShare };
    }
  }
  return worst;
}

function pct(v: number): string {
  return `${Math.round(v * 100)}%`;
}

function explain(pool: string, items: readonly DriftItem[], c: Concentration | null, outOf: [number, number] | null): string | null {
  if (items.length === 0) return null;
  const parts: string[] = [];
  const weight = items.find((i) => i.kind === 'weight' && (!c || i.backend === c.backend)) ?? items.find((i) => i.kind === 'weight');
  if (weight) {
    let s = `${weight.backend}'s weight is ${weight.live} live, ${weight.declared} declared`;
    if (c && c.backend === weight.backend) s += ` (${pct(c.liveShare)} of ${pool}'s weight instead of ${pct(c.declaredShare)})`;
    parts.push(s);
  }
  if (outOf) parts.push(`${outOf[0]} of ${outOf[1]} servers declared in service are in MAINT/DRAIN`);
  const rest = items.filter((i) => i !== weight && !(outOf && i.kind === 'state' && i.live === 'MAINT/DRAIN'));
  for (const i of rest.slice(0, 3)) parts.push(`${i.backend}: ${i.kind} ${i.declared} declared, ${i.live} live`);
  if (rest.length > 3) parts.push(`+${rest.length - 3} more`);
  return `${pool} runs something other than declared: ${parts.join('; ')}`;
}
