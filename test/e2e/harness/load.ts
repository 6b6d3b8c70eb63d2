// Open-loop load generator.
//
// Requests are fired on a schedule derived from the target rate, whether or
// not earlier ones have answered: a saturated server then sees the queue
// grow as it would in production (a closed loop would slow down with it and
// hide the saturation). Concurrency is still capped: a request due while
// `maxInFlight` are outstanding is not sent and counts as a client-side drop.
// Keep-alive is off so every request is a new connection from the chosen
// source address, which is what `balance source` hashes.
import http from 'node:http';

export type RateFn = (elapsedMs: number) => number;

export interface LoadOptions {
  /** Full URL, e.g. http://127.0.0.1:8080/ */
  url: string;
  /** Requests per second, constant or a function of elapsed ms (ramps). */
  rate: number | RateFn;
  durationMs: number;
  /** Hard cap on requests sent (default: 2 x peak of a constant rate, or 100000). */
  maxRequests?: number;
  /** Default 256. */
  maxInFlight?: number;
  /** Source addresses (127.0.0.x) used round-robin per request. Default ['127.0.0.1']. */
  clientAddresses?: string[];
  requestTimeoutMs?: number;
  /** Called once, when the first 5xx answer arrives (e.g. to put it on a Timeline as it happens). */
  onFirst5xx?: (record: RequestRecord) => void;
}

export interface RequestRecord {
  sentAt: number;
  doneAt: number;
  /** HTTP status; 0 for a transport error or a drop. */
  status: number;
  /** X-Backend of the answering server; undefined when HAProxy answered itself. */
  server?: string;
  latencyMs: number;
  clientAddress: string;
  error?: string;
}

export interface SecondStats {
  /** Second index since start. */
  second: number;
  ok2xx: number;
  err5xx: number;
  other: number;
  errors: number;
  dropped: number;
  p50: number;
  p95: number;
  p99: number;
  byServer: Record<string, number>;
}

export interface LoadResult {
  startedAt: number;
  endedAt: number;
  sent: number;
  ok2xx: number;
  err5xx: number;
  errors: number;
  dropped: number;
  first5xxAt?: number;
  records: RequestRecord[];
  perSecond: SecondStats[];
}

export interface LoadRun {
  /** Resolves when the run ended and in-flight requests settled. */
  done: Promise<LoadResult>;
  /** Override the rate from now on. */
  setRate(rate: number | RateFn): void;
  /** End early. */
  stop(): void;
  /** Records so far (live view). */
  records(): readonly RequestRecord[];
  first5xxAt(): number | undefined;
  startedAt: number;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

/** Answered requests per server among records completed in [fromMs, toMs). */
export function countByServer(records: readonly RequestRecord[], fromMs = 0, toMs = Infinity): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of records) {
    if (r.doneAt < fromMs || r.doneAt >= toMs || r.status === 0) continue;
    const k = r.server ?? '(haproxy)';
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

export function summarise(records: readonly RequestRecord[], startedAt: number, endedAt: number, first5xxAt?: number): LoadResult {
  const secs = new Map<number, { s: SecondStats; lat: number[] }>();
  let ok2xx = 0;
  let err5xx = 0;
  let errors = 0;
  let dropped = 0;
  for (const r of records) {
    const second = Math.floor((r.doneAt - startedAt) / 1000);
    let e = secs.get(second);
    if (!e) {
      e = { s: { second, ok2xx: 0, err5xx: 0, other: 0, errors: 0, dropped: 0, p50: 0, p95: 0, p99: 0, byServer: {} }, lat: [] };
      secs.set(second, e);
    }
    if (r.error === 'dropped') {
      e.s.dropped++;
      dropped++;
      continue;
    }
    if (r.status === 0) {
      e.s.errors++;
      errors++;
      continue;
    }
    e.lat.push(r.latencyMs);
    const k = r.server ?? '(haproxy)';
    e.s.byServer[k] = (e.s.byServer[k] ?? 0) + 1;
    if (r.status >= 200 && r.status < 300) {
      e.s.ok2xx++;
      ok2xx++;
    } else if (r.status >= 500) {
      e.s.err5xx++;
      err5xx++;
    } else e.s.other++;
  }
  const perSecond = [...secs.values()]
    .sort((a, b) => a.s.second - b.s.second)
    .map(({ s, lat }) => {
      lat.sort((a, b) => a - b);
      return { ...s, p50: percentile(lat, 50), p95: percentile(lat, 95), p99: percentile(lat, 99) };
    });
  return { startedAt, endedAt, sent: records.length - dropped, ok2xx, err5xx, errors, dropped, first5xxAt, records: [...records], perSecond };
}

export function startLoad(o: LoadOptions): LoadRun {
  const maxInFlight = o.maxInFlight ?? 256;
  const timeoutMs = o.requestTimeoutMs ?? 5000;
  const addrs = o.clientAddresses?.length ? o.clientAddresses : ['127.0.0.1'];
  const maxRequests = o.maxRequests ?? (typeof o.rate === 'number' ? Math.ceil(2 * o.rate * (o.durationMs / 1000)) + 10 : 100000);
  // Bounded sockets; no keep-alive (each request is a fresh connection).
  const agent = new http.Agent({ keepAlive: false, maxSockets: maxInFlight });
  const url = new URL(o.url);
  let rate: RateFn = typeof o.rate === 'number' ? () => o.rate as number : o.rate;
  const records: RequestRecord[] = [];
  const startedAt = Date.now();
  let lastTick = startedAt;
  let due = 0;
  let fired = 0;
  let inFlight = 0;
  let nextAddr = 0;
  let first5xxAt: number | undefined;
  let stopped = false;
  let resolveDone!: (r: LoadResult) => void;
  const done = new Promise<LoadResult>((r) => (resolveDone = r));

  const fire = () => {
    fired++;
    const clientAddress = addrs[nextAddr++ % addrs.length]!;
    const sentAt = Date.now();
    if (inFlight >= maxInFlight) {
      records.push({ sentAt, doneAt: sentAt, status: 0, latencyMs: 0, clientAddress, error: 'dropped' });
      return;
    }
    inFlight++;
    let settled = false;
    const finish = (status: number, server?: string, error?: string) => {
      if (settled) return;
      settled = true;
      inFlight--;
      const doneAt = Date.now();
      const rec: RequestRecord = { sentAt, doneAt, status, server, latencyMs: doneAt - sentAt, clientAddress, error };
      records.push(rec);
      if (status >= 500 && first5xxAt === undefined) {
        first5xxAt = doneAt;
        o.onFirst5xx?.(rec);
      }
      maybeFinish();
    };
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method: 'GET',
        agent,
        localAddress: clientAddress,
        headers: { connection: 'close' },
      },
      (res) => {
        const server = res.headers['x-backend'];
        res.resume();
        res.on('end', () => finish(res.statusCode ?? 0, typeof server === 'string' ? server : undefined));
        res.on('error', (e) => finish(0, undefined, e.message));
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error('timeout')));
    req.on('error', (e) => finish(0, undefined, e.message));
    req.end();
  };

  const tick = () => {
    const now = Date.now();
    // Integrate the rate over the real elapsed time: a late tick fires the
    // backlog at once, which is what an open-loop client would have done.
    due += (Math.max(0, rate(now - startedAt)) * (now - lastTick)) / 1000;
    lastTick = now;
    while (due >= 1 && fired < maxRequests) {
      due -= 1;
      fire();
    }
    if (now - startedAt >= o.durationMs || fired >= maxRequests) end();
  };
  const timer = setInterval(tick, 5);

  let ended = false;
  let hardStop: NodeJS.Timeout | undefined;
  const finishRun = () => {
    if (hardStop) clearTimeout(hardStop);
    agent.destroy();
    resolveDone(summarise(records, startedAt, Date.now(), first5xxAt));
  };
  const maybeFinish = () => {
    if (ended && inFlight === 0 && !stopped) {
      stopped = true;
      finishRun();
    }
  };
  const end = () => {
    if (ended) return;
    ended = true;
    clearInterval(timer);
    // Bounded wait for stragglers: each has its own timeout, plus a margin.
    hardStop = setTimeout(() => {
      if (!stopped) {
        stopped = true;
        finishRun();
      }
    }, timeoutMs + 1000);
    maybeFinish();
  };

  return {
    done,
    setRate: (r) => {
      rate = typeof r === 'number' ? () => r : r;
    },
    stop: end,
    records: () => records,
    first5xxAt: () => first5xxAt,
    startedAt,
  };
}

/** Linear ramp from `from` to `to` req/s over `overMs`, then flat. */
export function ramp(from: number, to: number, overMs: number): RateFn {
  return (t) => (t >= overMs ? to : from + ((to - from) * t) / overMs);
}

/** `n` client addresses 127.0.0.2, 127.0.0.3, ... (loopback only). */
export function clientAddresses(n: number, first = 2): string[] {
  if (first < 2 || first + n - 1 > 254) throw new RangeError('client addresses must stay within 127.0.0.2..127.0.0.254');
  return Array.from({ length: n }, (_, i) => `127.0.0.${first + i}`);
}
