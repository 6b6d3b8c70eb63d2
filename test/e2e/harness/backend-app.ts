// The backend application: a plain single-threaded Node HTTP server whose
// requests cost real CPU, so a backend that gets too large a share of the
// traffic saturates its one core exactly like a real hot server.
//
// Requests wait in an in-process FIFO and are served one at a time. Between
// requests the event loop runs, so new connections are accepted and the
// bounded queue can answer 503 at once (load shedding by the app itself:
// per FIELD-NOTES these 503s are the ones HAProxy counts per server).
import http from 'node:http';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

export interface BackendAppOptions {
  name: string;
  port: number;
  host?: string;
  /** CPU milliseconds burned per request (process CPU time, not wall time). */
  cpuMs: number;
  /** Max requests waiting + in service; beyond it the app answers 503. 0 = unbounded. */
  maxQueue: number;
}

/** Burn `ms` of this process's CPU time. Measured with cpuUsage so that
 * being descheduled on a busy 2-core machine does not shorten the cost. */
export function burnCpu(ms: number): void {
  if (ms <= 0) return;
  const start = process.cpuUsage();
  const budgetUs = ms * 1000;
  let x = 0;
  for (;;) {
    for (let i = 0; i < 2000; i++) x = (x * 31 + i) % 1000003;
    const d = process.cpuUsage(start);
    if (d.user + d.system >= budgetUs) break;
  }
  if (x === -1) console.log(x); // keep the loop from being optimised away
}

export function createBackendApp(opts: BackendAppOptions): http.Server {
  const register = new Registry();
  // process_cpu_seconds_total and friends: the backend's own view of its CPU.
  collectDefaultMetrics({ register });
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'Requests answered by this backend, by status code.',
    labelNames: ['code'],
    registers: [register],
  });
  const queueDepth = new Gauge({
    name: 'backend_queue_depth',
    help: 'Requests waiting or in service in the app queue.',
    registers: [register],
  });
  const busy = new Counter({
    name: 'backend_busy_seconds_total',
    help: 'CPU seconds spent in request work (the busy loop).',
    registers: [register],
  });

  const queue: { req: http.IncomingMessage; res: http.ServerResponse }[] = [];
  let working = false;

  const reply = (res: http.ServerResponse, code: number, body: string) => {
    requests.inc({ code: String(code) });
    // X-Backend lets the load generator attribute each answer to a server.
    res.writeHead(code, { 'content-type': 'text/plain', 'x-backend': opts.name, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };

  const work = () => {
    const item = queue.shift();
    queueDepth.set(queue.length);
    if (!item) {
      working = false;
      return;
    }
    // A client (HAProxy) that gave up should not cost CPU.
    if (!item.res.destroyed) {
      burnCpu(opts.cpuMs);
      busy.inc(opts.cpuMs / 1000);
      reply(item.res, 200, `ok ${opts.name}\n`);
    }
    // Yield to the event loop between requests so it accepts and sheds.
    // Measured on Node 20: a plain setImmediate(work) chain left new
    // connections in the kernel accept queue (ss Recv-Q grew to 250) and the
    // app never shed; two hops through the check phase let the poll phase
    // accept them. setTimeout(0) also works but idles ~1 ms per request.
    setImmediate(() => setImmediate(work));
  };

  const server = http.createServer((req, res) => {
    req.resume();
    const url = req.url ?? '/';
    if (url === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain', 'x-backend': opts.name });
      res.end('ok\n');
      return;
    }
    if (url === '/metrics') {
      register.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': register.contentType });
          res.end(text);
        },
        (e: unknown) => {
          res.writeHead(500);
          res.end(String(e));
        },
      );
      return;
    }
    if (opts.maxQueue > 0 && queue.length >= opts.maxQueue) {
      reply(res, 503, `overloaded ${opts.name}\n`);
      return;
    }
    queue.push({ req, res });
    queueDepth.set(queue.length);
    if (!working) {
      working = true;
      setImmediate(work);
    }
  });
  // A larger backlog than default so HAProxy's connects are not refused
  // before the app can decide to shed.
  server.listen({ host: opts.host ?? '127.0.0.1', port: opts.port, backlog: 1024 });
  return server;
}
