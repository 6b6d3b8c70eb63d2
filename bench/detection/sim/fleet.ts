// A seeded discrete-time model of one HAProxy backend and its servers, in
// 1 s steps. Per step:
//  1. health checks every `inter` s: a dead server is marked DOWN after `fall`
//     failed checks, a live one UP after `rise` good ones (until then a dead
//     server still gets requests: connection errors, redispatched);
//  2. Poisson arrivals, routed by the balance algorithm (routing.ts);
//  3. admission: a server at `maxconn` takes no more. roundrobin/random skip it
//     (spill to servers with room, else the backend queue); first fills the
//     next server; hashing does not spill: the request waits in that server's
//     own queue. A request that waits longer than `timeout queue` is answered
//     503 by HAProxy (backend 5xx, never server 5xx: FIELD-NOTES.md);
//  4. service: each server completes up to (cores - background) / serviceTime
//     requests per second; CPU is the work done (with the noise of exponential
//     service times) plus the background; what the application cannot hold
//     beyond `appLimit` it sheds as its own 503 (server 5xx);
//  5. gauges: sessions by Little's law (arrivals x response time + backlog),
//     response time averaged like HAProxy's last-1024 average.
// Invariant per step: offered = answered + shed + timed out + still waiting.
import { Rng } from './random.js';
import { candidates, Ring, splitHashed, splitRandom, splitRoundRobin } from './routing.js';
import { SimServer, type Cohorts } from './server.js';
import type { PoolSpec, Truth } from './types.js';

const SHARE_3XX = 0.02;
const SHARE_4XX = 0.01;
/** HAProxy's check defaults: inter 2 s, fall 3, rise 2. */
const DEFAULT_CHECK = { inter: 2, fall: 3, rise: 2 } as const;
/** Seconds of leftover work in a row that count as saturated. */
const SATURATED_AFTER = 5;

export class Fleet {
  readonly name: string;
  readonly spec: PoolSpec;
  readonly servers: SimServer[];
  readonly rng: Rng;
  /** The balance algorithm now (a config change can switch it). */
  balance: PoolSpec['balance'];
  readonly truth: Truth = {
    first5xxAt: null, total5xx: 0, firstSaturatedAt: null, lastSaturatedAt: null, saturatedSeconds: 0, maxUtilisation: 0, offered: 0,
  };
  /** Simulated seconds since the start. */
  t = 0;
  // Backend-level counters and gauges (HAProxy's own 503s).
  backend503 = 0;
  backendConnectionErrors = 0;
  readonly backendQueue: Cohorts = [];
  backendQueueLength = 0;
  private readonly ring = new Ring();
  // Per-step scratch, reused (a run steps each fleet up to 170,000 times).
  private credit3 = 0;
  private credit4 = 0;

  constructor(spec: PoolSpec, seed: number) {
    this.name = spec.name;
    this.spec = spec;
    this.servers = spec.servers.map((s) => new SimServer(s));
    this.rng = new Rng(seed);
    this.balance = spec.balance;
  }

  server(name: string): SimServer {
    const s = this.servers.find((x) => x.name === name);
    if (!s) throw new Error(`no server ${name} in ${this.name}`);
    return s;
  }

  /** HAProxy reload: every balancer counter starts again from zero. */
  reload(): void {
    for (const s of this.servers) s.resetBalancerCounters();
    this.backend503 = 0;
    this.backendConnectionErrors = 0;
  }

  /** Advances one second at `rate` offered requests per second. */
  step(rate: number): void {
    const t = this.t;
    this.checks(t);
    const pool = candidates(this.servers, t);
    // Each server's `want` is what the balancer offers it this second (0 for
    // servers it did not pick): sums over servers are exact integers, so
    // their order does not matter.
    const servers = this.servers;
    for (const s of servers) s.want = 0;
    let arrivals = 0;
    const balance = this.balance;
    if (balance === 'random') {
      splitRandom(rate, pool, t, this.rng);
      for (const s of servers) arrivals += s.want;
    } else if (balance === 'source' || balance === 'uri-consistent') {
      splitHashed(balance, rate, this.spec.keys ?? [], pool, t, this.rng, this.ring);
      for (const s of servers) arrivals += s.want;
    } else {
      arrivals = this.rng.poisson(rate);
      if (balance === 'roundrobin') splitRoundRobin(arrivals, pool, t, 'want');
    }
    this.truth.offered += arrivals;
    let errors5xx = 0;
    if (pool.length === 0) {
      this.backend503 += arrivals; // "503 Service Unavailable: no server is available"
      errors5xx += arrivals;
      arrivals = 0;
    }

    // Dead servers not yet marked DOWN: the connection fails, `option redispatch` retries elsewhere.
    const live: SimServer[] = [];
    for (const s of pool) if (s.alive) live.push(s);
    let redispatch = 0;
    for (const s of servers) {
      if (s.alive) continue;
      s.connectionErrors += s.want;
      redispatch += s.want;
      s.want = 0;
    }
    if (redispatch > 0) {
      if (live.length > 0) splitRoundRobin(redispatch, live, t, 'want');
      else {
        this.backend503 += redispatch;
        errors5xx += redispatch;
      }
    }

    for (const s of this.servers) {
      const r = s.maxconn > 0 ? Math.max(0, s.maxconn - s.backlog) + Math.floor(s.capacity + s.serviceCredit) : Infinity;
      // Its own queue goes first (FIFO), then the backend queue.
      const fromQueue = dequeue(s.queue, Math.min(r, s.queueLength));
      s.queueLength -= fromQueue;
      s.admitted = fromQueue;
      s.room = r - fromQueue;
    }
    for (const s of live) {
      if (this.backendQueueLength === 0) break;
      const take = dequeue(this.backendQueue, Math.min(s.room, this.backendQueueLength));
      this.backendQueueLength -= take;
      s.admitted += take;
      s.room -= take;
    }

    let excess = 0;
    if (balance === 'first') {
      let left = arrivals;
      for (const s of live) {
        const take = Math.min(left, s.room);
        s.admitted += take;
        s.room -= take;
        left -= take;
      }
      excess = left;
    } else {
      for (const s of servers) {
        const n = s.want;
        if (n === 0) continue;
        const take = Math.min(n, s.room);
        s.admitted += take;
        s.room -= take;
        const over = n - take;
        if (over <= 0) continue;
        if (balance === 'source' || balance === 'uri-consistent') {
          s.queue.push([t, over]); // hashing does not spill: wait for this server
          s.queueLength += over;
        } else excess += over;
      }
      // roundrobin / random skip a full server: the excess goes to servers with room.
      for (let pass = 0; pass < 3 && excess > 0; pass++) {
        const open = live.filter((s) => s.room > 0);
        if (open.length === 0) break;
        for (const s of open) s.spill = 0;
        splitRoundRobin(excess, open, t, 'spill');
        excess = 0;
        for (const s of open) {
          const n = s.spill;
          const take = Math.min(n, s.room);
          s.admitted += take;
          s.room -= take;
          excess += n - take;
        }
      }
    }
    if (excess > 0) {
      this.backendQueue.push([t, excess]);
      this.backendQueueLength += excess;
    }

    let saturated = false;
    for (const s of this.servers) {
      const a = s.admitted;
      errors5xx += this.serve(s, a);
      // Saturated: work left over for 5 s running (not one Poisson burst), or held at maxconn.
      s.busyStreak = s.backlog > 0 || s.queueLength > 0 ? s.busyStreak + 1 : 0;
      if (s.alive && s.present && (s.busyStreak >= SATURATED_AFTER || (s.maxconn > 0 && s.sessions >= s.maxconn))) saturated = true;
    }
    errors5xx += this.expire(t);
    this.record(errors5xx, saturated);
    this.t = t + 1;
  }

  private checks(t: number): void {
    const { inter, fall, rise } = this.spec.check ?? DEFAULT_CHECK;
    if (t % inter !== 0) return;
    for (const s of this.servers) {
      if (!s.present || s.admin === 'MAINT') continue;
      if (s.checkedUp === s.alive) {
        s.streak = 0;
        continue;
      }
      s.streak++;
      if (s.streak >= (s.checkedUp ? fall : rise)) {
        s.checkedUp = s.alive;
        s.streak = 0;
        s.lastChangeAt = t;
        if (s.checkedUp) s.upSince = t;
      }
    }
  }

  /** One second of service on `s` with `a` newly admitted requests; returns the requests it shed (503). */
  private serve(s: SimServer, a: number): number {
    const cap = s.capacity;
    const work = s.backlog + a;
    const credit = s.serviceCredit + cap;
    const done = Math.min(work, Math.floor(credit));
    s.serviceCredit = done === Math.floor(credit) ? credit - done : 0;
    s.backlog = work - done;
    let shed = 0;
    if (s.appLimit > 0 && s.backlog > s.appLimit) {
      shed = s.backlog - s.appLimit;
      s.backlog = s.appLimit;
    }
    s.sessionsTotal += a;
    s.r5xx += shed;
    this.credit3 += done * SHARE_3XX;
    this.credit4 += done * SHARE_4XX;
    const n3 = Math.min(done, Math.floor(this.credit3));
    const n4 = Math.min(done - n3, Math.floor(this.credit4));
    this.credit3 -= n3;
    this.credit4 -= n4;
    s.r3xx += n3;
    s.r4xx += n4;
    s.r2xx += done - n3 - n4;

    // CPU: work done, with the spread of a sum of exponential service times (CV 1/sqrt(n)).
    const usable = Math.max(0, s.cores - s.bgCores);
    const noise = done > 0 ? 1 + this.rng.normal() / Math.sqrt(done) : 1;
    const app = Math.min(usable, Math.max(0, done * s.serviceTime * noise));
    const bg = Math.min(s.cores - app, Math.max(0, s.bgCores * (1 + 0.02 * this.rng.normal())));
    if (s.present) {
      s.appCpuSeconds += app;
      s.hostCpuSeconds += app + bg;
      this.truth.maxUtilisation = Math.max(this.truth.maxUtilisation, (app + bg) / s.cores);
    }

    // Response time: M/M/c-shaped growth near the limit, plus the wait for the backlog.
    const rho = cap > 0 ? Math.min(0.95, a / cap) : 0.95;
    const r = s.serviceTime / (1 - Math.pow(rho, Math.max(1, s.cores))) + (cap > 0 ? s.backlog / cap : 0);
    if (done > 0) s.responseTime += Math.min(1, done / 1024) * (r - s.responseTime);
    const sessions = Math.round(s.backlog + a * r);
    s.sessions = s.maxconn > 0 ? Math.min(s.maxconn, sessions) : sessions;
    return shed;
  }

  /** HAProxy answers 503 to requests that waited `timeout queue`; returns how many. */
  private expire(t: number): number {
    const limit = t - (this.spec.timeoutQueue ?? 10);
    let n = 0;
    for (const s of this.servers) {
      const gone = dropOlder(s.queue, limit);
      s.queueLength -= gone;
      s.connectionErrors += gone;
      n += gone;
    }
    const gone = dropOlder(this.backendQueue, limit);
    this.backendQueueLength -= gone;
    n += gone;
    this.backend503 += n;
    this.backendConnectionErrors += n;
    return n;
  }

  private record(errors5xx: number, saturated: boolean): void {
    const tr = this.truth;
    if (errors5xx > 0) {
      tr.total5xx += errors5xx;
      if (tr.first5xxAt === null) tr.first5xxAt = this.t;
    }
    if (saturated) {
      tr.saturatedSeconds++;
      if (tr.firstSaturatedAt === null) tr.firstSaturatedAt = this.t;
      tr.lastSaturatedAt = this.t;
    }
  }
}

/** Takes up to `n` requests from the oldest cohorts; returns how many. */
function dequeue(q: Cohorts, n: number): number {
  let taken = 0;
  while (taken < n && q.length > 0) {
    const head = q[0]!;
    const k = Math.min(head[1], n - taken);
    head[1] -= k;
    taken += k;
    if (head[1] === 0) q.shift();
  }
  return taken;
}

function dropOlder(q: Cohorts, limit: number): number {
  let n = 0;
  while (q.length > 0 && q[0]![0] <= limit) n += q.shift()![1];
  return n;
}
