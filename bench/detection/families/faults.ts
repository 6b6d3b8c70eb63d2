// Fault families: something is wrong and load grows until the hot server's
// capacity is exceeded. The fault starts 20-30 min into the run (the
// history and rate windows are full by then); the ramp is chosen so that
// the hot server's demand reaches its capacity 6-15 min after the fault
// (the simulated first 5xx follows from the model, it is not scripted).
import { kill, setAdmin, type CpuSource, type Detection, type Scenario, type SimEvent } from '../scenario.js';
import { Fleet } from '../sim/fleet.js';
import { sourceServer, Ring } from '../sim/routing.js';
import type { Rng } from '../sim/random.js';
import type { Balance, HashKey, PoolSpec, ServerSpec } from '../sim/types.js';
import { capacityOf, HOUR, MIN, poolSpec, rngFor, servers, serviceTime, zipfKeys, type FamilyDef } from './common.js';

interface Ramp {
  readonly faultAt: number;
  readonly rampSeconds: number;
}

function ramp(r: Rng): Ramp {
  return { faultAt: r.int(20 * MIN, 30 * MIN), rampSeconds: r.int(6 * MIN, 15 * MIN) };
}

/**
 * Offered load: constant before the fault at the level that puts the hot
 * server at u0 of its capacity right after it; then linear growth reaching
 * `crossing` (the load at which the hot server's demand equals its capacity)
 * after rampSeconds, and on beyond it (until `holdAfter`, when set: spill).
 */
function rampLoad(rp: Ramp, u0: number, crossing: number, holdAfter?: number): (t: number) => number {
  const before = u0 * crossing;
  const slope = (crossing - before) / rp.rampSeconds;
  return (t) => {
    if (t < rp.faultAt) return before;
    const dt = holdAfter !== undefined ? Math.min(t - rp.faultAt, holdAfter) : t - rp.faultAt;
    return before + slope * dt;
  };
}

function fault(
  family: string, size: number, seed: number, label: string, rp: Ramp,
  rest: { pool: PoolSpec; load: (t: number) => number; events: SimEvent[]; cpu: CpuSource; noCpu?: ReadonlySet<string>; detection?: Detection; duration?: number },
): Scenario {
  return {
    family, kind: 'fault', seed, size, label, faultAt: rp.faultAt, detection: rest.detection ?? 'before-5xx',
    duration: rest.duration ?? rp.faultAt + rp.rampSeconds + 30 * MIN,
    pool: rest.pool, load: rest.load, events: rest.events, cpu: rest.cpu, ...(rest.noCpu ? { noCpu: rest.noCpu } : {}),
  };
}

/** Shed-at-limit servers (no maxconn: the application answers 503 itself, as in FIELD-NOTES' rig). */
const SHEDDING = { appLimit: 32 } as const;

function wrongWeight(name: string, cpu: CpuSource): FamilyDef {
  return {
    name, kind: 'fault', sizes: [2, 4, 8],
    about: `one server's weight set 1 -> 4..256 (runtime API); roundrobin; CPU: ${cpu === 'partial' ? 'node_exporter on some servers only' : cpu}`,
    build(size, seed) {
      const r = rngFor(name, size, seed);
      const list = servers(size, { serviceTime: serviceTime(r), ...SHEDDING });
      const hot = list[r.int(0, size - 1)]!.name;
      const w = r.pick(size >= 4 ? [4, 16, 256] : [16, 256]);
      const share = w / (w + size - 1);
      const rp = ramp(r);
      const noCpu = cpu === 'partial' ? new Set(seed % 2 === 0 ? [hot] : [list.find((s) => s.name !== hot)!.name]) : undefined;
      return fault(name, size, seed, `${hot} weight ${w}${noCpu ? `, no cpu for ${[...noCpu].join(',')}` : ''}`, rp, {
        pool: poolSpec('roundrobin', list), cpu, ...(noCpu ? { noCpu } : {}),
        events: [{ at: rp.faultAt, apply: (f) => { f.server(hot).weight = w; } }],
        load: rampLoad(rp, r.between(0.3, 0.6), capacityOf(list[0]!) / share),
      });
    },
  };
}

/** The hottest server's share of the offered load for a hashed pool with all `usable` servers. */
function hashedShares(balance: Balance, list: readonly ServerSpec[], keys: readonly HashKey[], usable: (s: ServerSpec) => boolean): Map<string, number> {
  const fleet = new Fleet(poolSpec(balance, list.filter(usable)), 1);
  const ring = new Ring();
  const total = keys.reduce((a, k) => a + k.share, 0);
  const out = new Map<string, number>();
  ring.update(fleet.servers);
  for (const k of keys) {
    const s = balance === 'source' ? sourceServer(k, fleet.servers, 0) : ring.serverFor(k);
    if (s) out.set(s.name, (out.get(s.name) ?? 0) + k.share / total);
  }
  return out;
}

function maxEntry(m: Map<string, number>): [string, number] {
  let best: [string, number] = ['', 0];
  for (const e of m) if (e[1] > best[1]) best = e;
  return best;
}

/** HAProxy maxconn with a per-server queue and `timeout queue` 10 s: hashing queues, then 503s. */
const QUEUEING = { maxconn: 64 } as const;

const sourceHash: FamilyDef = {
  name: 'source-hash', kind: 'fault', sizes: [3, 4, 8],
  about: 'balance source with few clients; one client (a NAT, a batch job) grows until its server saturates; maxconn queues, 503 after timeout queue',
  build(size, seed) {
    const r = rngFor('source-hash', size, seed);
    const list = servers(size, { serviceTime: serviceTime(r), ...QUEUEING });
    const keys = zipfKeys(r, r.int(size, 2 * size), 1, 'client');
    const rp = ramp(r);
    // The growing client: a new address whose share rises from the fault on.
    const big: HashKey = { hash: keys[0]!.hash ^ 0x9e3779b9, share: 0 };
    const base = hashedShares('source', list, keys, () => true);
    const bigServer = hashedShares('source', list, [{ ...big, share: 1 }], () => true);
    const [target] = maxEntry(bigServer);
    const cap = capacityOf(list[0]!);
    // Few clients hash unevenly: keep the busiest server at most at half its capacity before the fault.
    const baseTotal = Math.min(cap * size * r.between(0.15, 0.3), (0.5 * cap) / maxEntry(base)[1]);
    const baseOnTarget = baseTotal * (base.get(target) ?? 0);
    // Big client's rate grows linearly to fill the rest of its server at rampSeconds.
    const slope = Math.max(cap - baseOnTarget, 0.2 * cap) / rp.rampSeconds;
    const bigRate = (t: number) => (t < rp.faultAt ? 0 : slope * (t - rp.faultAt));
    const allKeys = [...keys, big];
    const events: SimEvent[] = [];
    for (let t = rp.faultAt; t < rp.faultAt + 2 * HOUR; t += 5) {
      events.push({ at: t, apply: () => { big.share = bigRate(t) / baseTotal; } });
    }
    const keysTotal = keys.reduce((a, k) => a + k.share, 0);
    for (const k of keys) k.share /= keysTotal;
    return fault('source-hash', size, seed, `${keys.length} clients, grows on ${target}`, rp, {
      pool: poolSpec('source', list, { keys: allKeys, timeoutQueue: 10 }), cpu: 'node', events,
      load: (t) => baseTotal + bigRate(t),
    });
  },
};

const consistentRemap: FamilyDef = {
  name: 'consistent-hash-remap', kind: 'fault', sizes: [4, 8, 12],
  about: 'balance uri, hash-type consistent, Zipf-popular URIs; a server leaves (MAINT) and its hot URIs land on a neighbour; load grows',
  build(size, seed) {
    const r = rngFor('consistent-hash-remap', size, seed);
    const list = servers(size, { serviceTime: serviceTime(r), ...QUEUEING });
    const keys = zipfKeys(r, r.int(50, 200), 1.1, 'uri');
    // Remove the server whose keys make the worst hot spot after the remap.
    let worst = { name: list[0]!.name, share: 0 };
    for (const s of list) {
      const [, share] = maxEntry(hashedShares('uri-consistent', list, keys, (x) => x.name !== s.name));
      if (share > worst.share) worst = { name: s.name, share };
    }
    const rp = ramp(r);
    const gone = worst.name;
    return fault('consistent-hash-remap', size, seed, `${gone} leaves, hottest then ${(worst.share * 100).toFixed(0)}%`, rp, {
      pool: poolSpec('uri-consistent', list, { keys, timeoutQueue: 10 }), cpu: 'node',
      events: [{ at: rp.faultAt, apply: (f) => setAdmin(f, gone, 'MAINT') }],
      load: rampLoad(rp, r.between(0.3, 0.55), capacityOf(list[0]!) / worst.share),
    });
  },
};

const weightDrift: FamilyDef = {
  name: 'weight-drift', kind: 'fault', sizes: [3, 5, 10],
  about: "an automation raises one server's weight by 10% every 30-90 s (traffic follows the weights; equal hardware)",
  build(size, seed) {
    const r = rngFor('weight-drift', size, seed);
    const list = servers(size, { serviceTime: serviceTime(r), weight: 10, ...SHEDDING });
    const hot = list[r.int(0, size - 1)]!.name;
    const every = r.int(30, 90);
    // Enough load that the drifting server can exceed its capacity (share -> 1 as its weight grows).
    const u = r.between(Math.max(0.3, 1.4 / size), Math.max(0.5, 1.6 / size));
    const cap = capacityOf(list[0]!);
    const total = u * cap * size;
    // Steps of +1 until the hot server's share of `total` exceeds its capacity (then a little further).
    let w = 10;
    const events: SimEvent[] = [];
    const faultAt = r.int(20 * MIN, 30 * MIN);
    let at = faultAt;
    while ((total * w) / (w + 10 * (size - 1)) < cap * 1.15 && w < 10_000) {
      w++;
      const next = w;
      events.push({ at, apply: (f) => { f.server(hot).weight = next; } });
      at += every;
    }
    const rp = { faultAt, rampSeconds: at - faultAt };
    return fault('weight-drift', size, seed, `${hot} 10 -> ${w} every ${every}s`, rp, {
      pool: poolSpec('roundrobin', list), cpu: 'node', events, load: () => total, duration: at + 20 * MIN,
    });
  },
};

const mostMaint: FamilyDef = {
  name: 'most-maint', kind: 'fault', sizes: [4, 6, 10],
  about: 'all servers but one (or three quarters) put in MAINT or DRAIN; the rest take everything as expected, then saturate as load grows',
  build(size, seed) {
    const r = rngFor('most-maint', size, seed);
    const list = servers(size, { serviceTime: serviceTime(r), ...SHEDDING });
    const out = seed % 2 === 0 ? size - 1 : Math.ceil(size * 0.75);
    const state = seed % 4 < 2 ? 'MAINT' : 'DRAIN';
    const gone = list.slice(0, out).map((s) => s.name);
    const rp = ramp(r);
    return fault('most-maint', size, seed, `${out} of ${size} to ${state}`, rp, {
      pool: poolSpec('roundrobin', list), cpu: 'node',
      events: gone.map((name) => ({ at: rp.faultAt, apply: (f: Fleet) => setAdmin(f, name, state) })),
      load: rampLoad(rp, r.between(0.4, 0.6), capacityOf(list[0]!) * (size - out)),
    });
  },
};

const totalOutage: FamilyDef = {
  name: 'total-outage', kind: 'fault', sizes: [2, 4, 10],
  about: 'every server of the pool goes down (crash: DOWN after the checks) or to MAINT under traffic; must page within two cycles',
  build(size, seed) {
    const r = rngFor('total-outage', size, seed);
    const list = servers(size, { serviceTime: serviceTime(r) });
    const rp = ramp(r);
    const crash = seed % 2 === 0;
    const cpu: CpuSource = seed % 4 < 2 ? 'node' : 'none';
    const u = r.between(0.2, 0.6);
    return fault('total-outage', size, seed, `${crash ? 'crash' : 'MAINT'}, cpu ${cpu}`, rp, {
      pool: poolSpec('roundrobin', list), cpu, detection: 'within-2-cycles', duration: rp.faultAt + 15 * MIN,
      events: list.map((s) => ({ at: rp.faultAt, apply: (f: Fleet) => (crash ? kill(f, s.name) : setAdmin(f, s.name, 'MAINT')) })),
      load: () => u * capacityOf(list[0]!) * size,
    });
  },
};

const wrongDrain: FamilyDef = {
  name: 'wrong-drain', kind: 'fault', sizes: [3, 5, 8],
  about: 'mixed hardware (s01: 4 cores, weight 4); the big server is drained instead of a small one; the small ones saturate as load grows',
  build(size, seed) {
    const r = rngFor('wrong-drain', size, seed);
    const list = servers(size, { serviceTime: serviceTime(r), ...SHEDDING }, (i) => (i === 0 ? { cores: 4, weight: 4 } : {}));
    const rp = ramp(r);
    const cpu: CpuSource = seed % 2 === 0 ? 'node' : 'process';
    const smallCap = capacityOf(list[1]!) * (size - 1);
    return fault('wrong-drain', size, seed, `cpu ${cpu}`, rp, {
      pool: poolSpec('roundrobin', list), cpu,
      events: [{ at: rp.faultAt, apply: (f) => setAdmin(f, list[0]!.name, 'DRAIN') }],
      load: rampLoad(rp, r.between(0.4, 0.6), smallCap),
    });
  },
};

const algorithmChange: FamilyDef = {
  name: 'algorithm-change', kind: 'fault', sizes: [3, 4, 8],
  about: 'a config reload changes balance roundrobin to source (few clients) or first (fills s01 up to maxconn); load grows',
  build(size, seed) {
    const r = rngFor('algorithm-change', size, seed);
    const first = seed % 2 === 0;
    const list = servers(size, { serviceTime: serviceTime(r), maxconn: 64, appLimit: first ? 16 : 0 });
    const keys = zipfKeys(r, r.int(size, 2 * size), 1, 'client');
    const total = keys.reduce((a, k) => a + k.share, 0);
    for (const k of keys) k.share /= total;
    const rp = ramp(r);
    const cap = capacityOf(list[0]!);
    const hotShare = first ? 1 : Math.max(maxEntry(hashedShares('source', list, keys, () => true))[1], 1.6 / size);
    return fault('algorithm-change', size, seed, first ? 'to first' : `to source, ${keys.length} clients`, rp, {
      pool: poolSpec('roundrobin', list, { keys, timeoutQueue: 10 }), cpu: 'node',
      events: [{ at: rp.faultAt, apply: (f) => { f.reload(); f.balance = first ? 'first' : 'source'; } }],
      load: rampLoad(rp, r.between(0.3, 0.55), cap / hotShare),
    });
  },
};

const spill: FamilyDef = {
  name: 'rr-spill', kind: 'fault', sizes: [3, 4, 8],
  about: 'wrong weight (x16-256) with maxconn 20: roundrobin spills around the full server; no 5xx, the hot server saturated with high latency; detected if paged while saturated',
  build(size, seed) {
    const r = rngFor('rr-spill', size, seed);
    const list = servers(size, { serviceTime: serviceTime(r), maxconn: 20, cores: 1 });
    const hot = list[r.int(0, size - 1)]!.name;
    const w = r.pick([16, 256]);
    const share = w / (w + size - 1);
    const rp = ramp(r);
    const cap = capacityOf(list[0]!);
    // Beyond the crossing, grow 20% more and hold: the others take the spill (well within their capacity).
    const crossing = cap / share;
    const holdAfter = rp.rampSeconds * 1.2;
    return fault('rr-spill', size, seed, `${hot} weight ${w}`, rp, {
      pool: poolSpec('roundrobin', list), cpu: seed % 2 === 0 ? 'node' : 'none', detection: 'while-saturated',
      events: [{ at: rp.faultAt, apply: (f) => { f.server(hot).weight = w; } }],
      load: rampLoad(rp, r.between(0.3, 0.6), crossing, holdAfter), duration: rp.faultAt + rp.rampSeconds + 20 * MIN,
    });
  },
};

export const FAULT_FAMILIES: readonly FamilyDef[] = [
  wrongWeight('wrong-weight-cpu', 'node'), wrongWeight('wrong-weight-nocpu', 'none'), wrongWeight('wrong-weight-partial-cpu', 'partial'),
  sourceHash, consistentRemap, weightDrift, mostMaint, totalOutage, wrongDrain, algorithmChange, spill,
];
