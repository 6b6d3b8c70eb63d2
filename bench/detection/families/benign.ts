// Benign families: ordinary fleet life in which nothing is about to break.
// Every server stays below its capacity (the harness checks the simulated
// truth: a benign run with a 5xx is a broken scenario, not a detection). Any
// page here is false; any warning is false unless the family expects one.
import { join, kill, leave, revive, setAdmin, type Scenario, type SimEvent } from '../scenario.js';
import type { ServerSpec } from '../sim/types.js';
import { benignBalance, burstHeadroom, capacityOf, HOUR, MIN, poolCapacity, poolSpec, rngFor, servers, serviceTime, wander, type FamilyDef } from './common.js';

function base(family: string, size: number, seed: number, label: string, rest: Omit<Scenario, 'family' | 'kind' | 'seed' | 'size' | 'label'>): Scenario {
  return { family, kind: 'benign', seed, size, label, ...rest };
}

/** Load that keeps every usable server at `u` of its capacity (weights proportional to capacity). */
function atUtilisation(list: readonly ServerSpec[], u: (t: number) => number): (t: number) => number {
  const cap = poolCapacity(list);
  return (t) => cap * u(t);
}

const growth: FamilyDef = {
  name: 'growth', kind: 'benign', sizes: [2, 4, 10, 50], about: 'load grows from 5% to 70% of capacity over 12 h (2 h for 50 servers)',
  build(size, seed) {
    const r = rngFor('growth', size, seed);
    const list = servers(size, { serviceTime: serviceTime(r), cores: r.pick([1, 2, 4]) });
    const w = wander(r, 0.05);
    const dur = size <= 10 ? 12 * HOUR : 2 * HOUR;
    return base('growth', size, seed, `${list[0]!.cores} cores`, {
      pool: poolSpec(benignBalance(seed), list), duration: dur, events: [], cpu: 'node',
      load: atUtilisation(list, (t) => (0.05 + 0.65 * (t / dur)) * w(t)),
    });
  },
};

const diurnal: FamilyDef = {
  name: 'diurnal', kind: 'benign', sizes: [2, 3, 8], about: 'two days of day/night cycle between 8% and 75% of capacity',
  build(size, seed) {
    const r = rngFor('diurnal', size, seed);
    const list = servers(size, { serviceTime: serviceTime(r), cores: r.pick([1, 2]) });
    const phase = r.between(0, 2 * Math.PI);
    const w = wander(r, 0.04);
    return base('diurnal', size, seed, seed % 4 < 2 ? 'node cpu' : 'process cpu', {
      pool: poolSpec(benignBalance(seed), list), duration: 48 * HOUR, events: [], cpu: seed % 4 < 2 ? 'node' : 'process',
      load: atUtilisation(list, (t) => (0.08 + 0.67 * (1 - Math.cos((2 * Math.PI * t) / (24 * HOUR) + phase)) / 2) * w(t)),
    });
  },
};

/** Mixed hardware with weights proportional to cores: 2:1:1:1 (and 4:2:1 patterns in larger pools). */
function mixed(name: string, cpu: 'node' | 'process'): FamilyDef {
  return {
    name, kind: 'benign', sizes: [4, 6, 12],
    about: `correct weights on mixed hardware (weight = cores), everyone at 45-85% of its own capacity; capacity ${cpu === 'node' ? 'reported (node_exporter)' : 'not reported (process CPU)'}`,
    build(size, seed) {
      const r = rngFor(name, size, seed);
      const st = serviceTime(r);
      const pattern = size >= 6 ? [4, 2, 1] : [2, 1, 1, 1];
      const list = servers(size, { serviceTime: st }, (i) => {
        const c = pattern[i % pattern.length]!;
        return { cores: c, weight: c };
      });
      const u = r.between(0.45, 0.8);
      const w = wander(r, 0.06);
      return base(name, size, seed, `u=${u.toFixed(2)}`, {
        pool: poolSpec(benignBalance(seed), list), duration: 10 * HOUR, events: [], cpu,
        load: atUtilisation(list, (t) => u * w(t)),
      });
    },
  };
}

const recovery: FamilyDef = {
  name: 'recovery', kind: 'benign', sizes: [2, 3, 5, 10, 50],
  about: 'a server goes down and returns (or a new pod joins) 3 times; survivors up to 85% (less where Poisson bursts would exceed a server: burstHeadroom); slowstart on half the runs',
  build(size, seed) {
    const r = rngFor('recovery', size, seed);
    const slowstart = seed % 2 === 0 ? 0 : 60;
    const list = servers(size, { serviceTime: serviceTime(r), slowstart });
    // With one server out, the survivors run at uSurvivor (drawn, then kept
    // where one second's arrivals still fit: burstHeadroom).
    const balance = benignBalance(seed);
    const uSurvivor = Math.min(r.between(0.6, 0.85), burstHeadroom(capacityOf(list[0]!), balance, size - 1 || 1));
    const events: SimEvent[] = [];
    const newPod = seed % 4 >= 2;
    for (let k = 0; k < 3; k++) {
      const name = list[r.int(0, size - 1)]!.name;
      const at = (40 + 80 * k) * MIN + Math.round(r.between(0, 20 * MIN));
      const back = at + Math.round(r.between(3 * MIN, 20 * MIN));
      if (newPod) {
        // The pod is replaced: it leaves, a new one with the same name joins.
        events.push({ at, apply: (f) => leave(f, name) }, { at: back, apply: (f) => join(f, name) });
      } else {
        events.push({ at, apply: (f) => kill(f, name) }, { at: back, apply: (f) => revive(f, name) });
      }
    }
    const w = wander(r, 0.04);
    const cap1 = capacityOf(list[0]!);
    return base('recovery', size, seed, `${newPod ? 'new pod' : 'down/up'}, slowstart ${slowstart}s, u=${uSurvivor.toFixed(2)}`, {
      pool: poolSpec(balance, list), duration: size <= 10 ? 8 * HOUR : 2 * HOUR, events, cpu: 'node',
      load: (t) => uSurvivor * cap1 * (size - 1 || 1) * Math.min(1, w(t)),
    });
  },
};

const rollingDeploy: FamilyDef = {
  name: 'rolling-deploy', kind: 'benign', sizes: [3, 6, 12],
  about: 'every 2 h each server in turn goes to MAINT for 1-2 min and back (slowstart 30 s on half the runs)',
  build(size, seed) {
    const r = rngFor('rolling-deploy', size, seed);
    const slowstart = seed % 2 === 0 ? 0 : 30;
    const list = servers(size, { serviceTime: serviceTime(r), slowstart, cores: 2 });
    const events: SimEvent[] = [];
    for (let round = 0; round < 3; round++) {
      let at = (30 + 120 * round) * MIN + Math.round(r.between(0, 10 * MIN));
      for (const s of list) {
        const down = Math.round(r.between(60, 120));
        const name = s.name;
        events.push({ at, apply: (f) => setAdmin(f, name, 'MAINT') }, { at: at + down, apply: (f) => setAdmin(f, name, 'READY') });
        at += down + 30;
      }
    }
    const u = r.between(0.3, 0.75) * ((size - 1) / size);
    const w = wander(r, 0.05);
    return base('rolling-deploy', size, seed, `slowstart ${slowstart}s`, {
      pool: poolSpec(benignBalance(seed), list), duration: 8 * HOUR, events, cpu: 'node',
      load: atUtilisation(list, (t) => u * w(t)),
    });
  },
};

const autoscale: FamilyDef = {
  name: 'autoscale', kind: 'benign', sizes: [4, 10, 30],
  about: 'scale out as load rises (new servers join, slowstart 30 s) and in as it falls (MAINT, then removed); target 50%',
  build(size, seed) {
    const r = rngFor('autoscale', size, seed);
    const list = servers(size, { serviceTime: serviceTime(r), slowstart: 30 }, (i) => ({ present: i < Math.ceil(size / 2) }));
    const cap1 = capacityOf(list[0]!);
    const dur = size <= 10 ? 8 * HOUR : 3 * HOUR;
    const peak = r.between(0.55, 0.75) * cap1 * size;
    const load = (t: number) => peak * (0.25 + 0.75 * Math.sin((Math.PI * t) / dur) ** 2);
    // The autoscaler looks every 5 min and keeps the servers near 50%.
    const events: SimEvent[] = [];
    let present = Math.ceil(size / 2);
    for (let t = 5 * MIN; t < dur; t += 5 * MIN) {
      const want = Math.max(2, Math.min(size, Math.ceil(load(t + 5 * MIN) / (0.5 * cap1))));
      while (present < want) {
        const name = list[present++]!.name;
        events.push({ at: t, apply: (f) => join(f, name) });
      }
      while (present > want) {
        const name = list[--present]!.name;
        events.push({ at: t, apply: (f) => setAdmin(f, name, 'MAINT') }, { at: t + 60, apply: (f) => leave(f, name) });
      }
    }
    return base('autoscale', size, seed, `peak ${(peak / (cap1 * size)).toFixed(2)}`, {
      pool: poolSpec(benignBalance(seed), list), duration: dur, events, cpu: 'node', load,
    });
  },
};

const oneDown: FamilyDef = {
  name: 'one-down', kind: 'benign', sizes: [3, 5, 10, 30],
  about: 'one server crashes after 30 min and stays down; the survivors take its share at up to 80%',
  build(size, seed) {
    const r = rngFor('one-down', size, seed);
    const list = servers(size, { serviceTime: serviceTime(r), cores: r.pick([1, 2]) });
    const name = list[r.int(0, size - 1)]!.name;
    const uSurvivor = r.between(0.4, 0.8);
    const w = wander(r, 0.04);
    const cap1 = capacityOf(list[0]!);
    return base('one-down', size, seed, `${name} down`, {
      pool: poolSpec(benignBalance(seed), list), duration: size <= 10 ? 10 * HOUR : 2 * HOUR, cpu: 'node',
      events: [{ at: 30 * MIN + r.int(0, 600), apply: (f) => kill(f, name) }],
      load: (t) => uSurvivor * cap1 * (size - 1) * Math.min(1, w(t)),
    });
  },
};

const lowTraffic: FamilyDef = {
  name: 'low-traffic', kind: 'benign', sizes: [2, 10, 100, 500, 1000],
  about: '1, 2 or 5 expected requests per server per 1 m window, host CPU 70-85% from other work',
  build(size, seed) {
    const r = rngFor('low-traffic', size, seed);
    const perWindow = r.pick([1, 2, 5]);
    const bg = r.between(0.7, 0.82);
    const list = servers(size, { serviceTime: 0.01, bgCores: bg });
    const dur = size <= 10 ? 12 * HOUR : size <= 100 ? HOUR : size <= 500 ? 15 * MIN : 10 * MIN;
    return base('low-traffic', size, seed, `${perWindow}/server/window, bg ${bg.toFixed(2)}`, {
      pool: poolSpec(benignBalance(seed), list), duration: dur, events: [], cpu: 'node',
      load: () => (perWindow * size) / 60,
    });
  },
};

const canary: FamilyDef = {
  name: 'canary', kind: 'benign', sizes: [5, 10, 20],
  about: 'one canary weighted to take 1-10%, its requests 0-30% more expensive',
  build(size, seed) {
    const r = rngFor('canary', size, seed);
    const st = serviceTime(r);
    const share = r.between(0.01, 0.1);
    // Stable servers weight 100; the canary's weight gives it `share` of the traffic.
    const wc = Math.max(1, Math.round((share * (size - 1) * 100) / (1 - share)));
    // A canary that takes more than a stable server's share runs on a box sized for it
    // (otherwise 7% of a 20-server pool is 1.5x a server's load: an overload, not a canary).
    const stableShare = (1 - share) / (size - 1);
    const canaryCores = 2 * Math.max(1, Math.ceil(share / stableShare));
    const list = servers(size, { serviceTime: st, weight: 100, cores: 2 }, (i) => (i === size - 1 ? { weight: wc, cores: canaryCores, serviceTime: st * r.between(1, 1.3) } : {}));
    const u = r.between(0.3, 0.65);
    const w = wander(r, 0.05);
    const stableCap = capacityOf(list[0]!) * (size - 1);
    return base('canary', size, seed, `canary ${(share * 100).toFixed(1)}% on ${canaryCores} cores`, {
      pool: poolSpec(benignBalance(seed), list), duration: 10 * HOUR, events: [], cpu: 'node',
      load: (t) => (u * stableCap * w(t)) / (1 - share),
    });
  },
};

const backup: FamilyDef = {
  name: 'backup', kind: 'benign', sizes: [3, 5, 8],
  about: '1-2 backup servers (up, weighted, idle by design); a primary fails for 20 min on half the runs',
  build(size, seed) {
    const r = rngFor('backup', size, seed);
    const backups = r.int(1, 2);
    const list = servers(size + backups, { serviceTime: serviceTime(r) }, (i) => (i >= size ? { backup: true } : {}));
    const events: SimEvent[] = [];
    if (seed % 2 === 1) {
      const name = list[r.int(0, size - 1)]!.name;
      const at = 60 * MIN + r.int(0, 60 * MIN);
      events.push({ at, apply: (f) => kill(f, name) }, { at: at + 20 * MIN, apply: (f) => revive(f, name) });
    }
    const u = r.between(0.3, 0.75) * ((size - 1) / size);
    const w = wander(r, 0.05);
    const cap1 = capacityOf(list[0]!);
    return base('backup', size, seed, `${backups} backup`, {
      pool: poolSpec(benignBalance(seed), list), duration: 8 * HOUR, events, cpu: 'node',
      load: (t) => u * cap1 * size * w(t),
    });
  },
};

const exporterRestart: FamilyDef = {
  name: 'exporter-restart', kind: 'benign', sizes: [3, 6, 12],
  about: 'HAProxy reloads every 1-2 h (all counters reset, a scrape may fail); process exporters restart too',
  build(size, seed) {
    const r = rngFor('exporter-restart', size, seed);
    const list = servers(size, { serviceTime: serviceTime(r), cores: 2 });
    const events: SimEvent[] = [];
    for (let at = r.int(40 * MIN, 80 * MIN); at < 8 * HOUR; at += r.int(60 * MIN, 120 * MIN)) {
      const gap = r.int(0, 1);
      events.push({ at, apply: (f, ctx) => { f.reload(); ctx.balancerFailCycles = gap; } });
      const name = list[r.int(0, size - 1)]!.name;
      events.push({ at: at + r.int(0, 600), apply: (_f, ctx) => ctx.restartApp(name) });
    }
    const u = r.between(0.3, 0.7);
    const w = wander(r, 0.06);
    const cpu = seed % 2 === 0 ? 'process' : 'node';
    return base('exporter-restart', size, seed, `${cpu} cpu`, {
      pool: poolSpec(benignBalance(seed), list), duration: 8 * HOUR, events, cpu,
      load: atUtilisation(list, (t) => u * w(t)),
    });
  },
};

const missingValue: FamilyDef = {
  name: 'missing-value', kind: 'benign', sizes: [4, 6, 10],
  about: 'correct 2:1:1:1 weights (s01 has 2 cores), everyone at 75-85% (less where Poisson bursts would exceed a server: burstHeadroom); a weight line or a CPU scrape is missing for one cycle every 30 min',
  build(size, seed) {
    const r = rngFor('missing-value', size, seed);
    const list = servers(size, { serviceTime: serviceTime(r) }, (i) => (i === 0 ? { cores: 2, weight: 2 } : {}));
    const events: SimEvent[] = [];
    for (let at = 20 * MIN; at < 8 * HOUR; at += 30 * MIN) {
      const name = list[r.int(1, size - 1)]!.name;
      const weight = r.uniform() < 0.5;
      events.push({ at: at + r.int(0, 300), apply: (_f, ctx) => (weight ? ctx.hideWeightOnce : ctx.cpuFailOnce).add(name) });
    }
    // Drawn, then kept where one second's arrivals at a 1-core server fit at
    // the load's crest (+2%): burstHeadroom.
    const balance = benignBalance(seed);
    const u = Math.min(r.between(0.75, 0.85), burstHeadroom(capacityOf(list[1]!), balance, size) / 1.02);
    return base('missing-value', size, seed, `u=${u.toFixed(2)}`, {
      pool: poolSpec(balance, list), duration: 8 * HOUR, events, cpu: 'node',
      load: atUtilisation(list, (t) => u * (1 + 0.02 * Math.sin(t / 900))),
    });
  },
};

const scrapeGaps: FamilyDef = {
  name: 'scrape-gaps', kind: 'benign', sizes: [3, 6, 12],
  about: 'the balancer scrape fails for 1-4 cycles every 20-60 min; CPU scrapes fail now and then',
  build(size, seed) {
    const r = rngFor('scrape-gaps', size, seed);
    const list = servers(size, { serviceTime: serviceTime(r) });
    const events: SimEvent[] = [];
    for (let at = r.int(20 * MIN, 60 * MIN); at < 8 * HOUR; at += r.int(20 * MIN, 60 * MIN)) {
      const n = r.int(1, 4);
      events.push({ at, apply: (_f, ctx) => { ctx.balancerFailCycles = n; } });
      const name = list[r.int(0, size - 1)]!.name;
      events.push({ at: at + r.int(300, 900), apply: (_f, ctx) => ctx.cpuFailOnce.add(name) });
    }
    const u = r.between(0.3, 0.7);
    const w = wander(r, 0.08);
    return base('scrape-gaps', size, seed, `u=${u.toFixed(2)}`, {
      pool: poolSpec(benignBalance(seed), list), duration: 8 * HOUR, events, cpu: 'node',
      load: atUtilisation(list, (t) => u * w(t)),
    });
  },
};

const noisyNeighbour: FamilyDef = {
  name: 'noisy-neighbour', kind: 'benign', sizes: [3, 6, 12],
  about: "another process takes 50-65% of one server's host for 30-90 min at a time; requests stay balanced (a warning with cpu-not-traffic is expected, a page is false)",
  build(size, seed) {
    const r = rngFor('noisy-neighbour', size, seed);
    const list = servers(size, { serviceTime: serviceTime(r), cores: 2 });
    const u = r.between(0.2, 0.3);
    const events: SimEvent[] = [];
    for (let at = r.int(30 * MIN, 60 * MIN); at < 7 * HOUR; at += r.int(90 * MIN, 150 * MIN)) {
      const s = list[r.int(0, size - 1)]!;
      const bg = s.cores * r.between(0.5, 0.65);
      const name = s.name;
      events.push({ at, apply: (f) => { f.server(name).bgCores = bg; } }, { at: at + r.int(30 * MIN, 90 * MIN), apply: (f) => { f.server(name).bgCores = 0; } });
    }
    const w = wander(r, 0.05);
    return base('noisy-neighbour', size, seed, `app u=${u.toFixed(2)}`, {
      pool: poolSpec(benignBalance(seed), list), duration: 8 * HOUR, events, cpu: 'node', expectedWarning: 'cpu-not-traffic',
      load: atUtilisation(list, (t) => u * w(t)),
    });
  },
};

export const BENIGN_FAMILIES: readonly FamilyDef[] = [
  growth, diurnal, mixed('mixed-hw-reported', 'node'), mixed('mixed-hw-unreported', 'process'), recovery, rollingDeploy, autoscale,
  oneDown, lowTraffic, canary, backup, exporterRestart, missingValue, scrapeGaps, noisyNeighbour,
];
