// Calibration runs (a developer tool, not a test): measures what the numbers
// in docs/e2e.md say. Run one scenario at a time, e.g.
//   node --import tsx test/e2e/harness/calibrate.ts single
//   node --import tsx test/e2e/harness/calibrate.ts rr-maxconn
// Each run is bounded (ramp duration + a few seconds) and prints a table.
import { startFleet, type FleetOptions } from './fleet.js';
import { ramp, startLoad, clientAddresses, countByServer } from './load.js';
import type { StatRow } from './haproxy-runtime.js';

interface Scenario {
  fleet: FleetOptions;
  from: number;
  to: number;
  rampMs: number;
  clients?: number;
}

const CPU = Number(process.env.CAL_CPU_MS ?? 8);
const misweighted = (extra: { maxconn?: number; maxQueue?: number }) =>
  [{ weight: 8, ...extra }, { weight: 1, ...extra }, { weight: 1, ...extra }].map((b) => ({ cpuMs: CPU, ...b }));

const scenarios: Record<string, Scenario> = {
  // One backend behind HAProxy: where does it stop keeping up?
  single: { fleet: { backends: [{ cpuMs: CPU }] }, from: 40, to: 170, rampMs: 25000 },
  // Weight misconfig (8:1:1) with per-server maxconn: FIELD-NOTES says roundrobin spills (no 5xx).
  'rr-maxconn': { fleet: { backends: misweighted({ maxconn: 10 }) }, from: 40, to: 170, rampMs: 25000 },
  'static-rr-maxconn': { fleet: { backends: misweighted({ maxconn: 10 }), balance: 'static-rr' }, from: 40, to: 170, rampMs: 25000 },
  // No maxconn, the app sheds load itself: 503 counted per server.
  'rr-appqueue': { fleet: { backends: misweighted({ maxQueue: 20 }) }, from: 40, to: 170, rampMs: 25000 },
  // Hash-based with maxconn: no spill, requests wait in HAProxy's queue, 503 after timeout queue.
  'source-maxconn': { fleet: { backends: misweighted({ maxconn: 10 }), balance: 'source' }, from: 40, to: 170, rampMs: 25000, clients: 40 },
};

/** CPU per request of one backend at a light fixed rate (startup excluded). */
async function cpuPerRequest() {
  const { startBackend } = await import('./backend-server.js');
  const { makeTempDir, removeTempDir } = await import('./tmp.js');
  const dir = makeTempDir();
  for (const cpuMs of [2, 4, 8]) {
    const b = await startBackend({ name: `cpu${cpuMs}`, cpuMs, logDir: dir });
    try {
      const read = async () => {
        const text = await (await fetch(b.metricsUrl)).text();
        return {
          cpu: Number(text.match(/^process_cpu_seconds_total (\S+)/m)?.[1] ?? 0),
          n: Number(text.match(/^http_requests_total\{code="200"\} (\S+)/m)?.[1] ?? 0),
        };
      };
      await startLoad({ url: `${b.url}/`, rate: 50, durationMs: 1000 }).done; // warm up (JIT)
      const a = await read();
      await startLoad({ url: `${b.url}/`, rate: 50, durationMs: 5000 }).done;
      const z = await read();
      const ms = ((z.cpu - a.cpu) * 1000) / (z.n - a.n);
      console.log(`cpuMs=${cpuMs}: ${ms.toFixed(2)} CPU ms/request measured -> ${(1000 / ms).toFixed(0)} req/s at 100% of one core`);
    } finally {
      await b.stop();
    }
  }
  removeTempDir(dir);
}

async function main() {
  const name = process.argv[2] ?? 'single';
  if (name === 'cpu') return cpuPerRequest();
  const sc = scenarios[name];
  if (!sc) throw new Error(`unknown scenario ${name}; one of ${Object.keys(scenarios).join(', ')}`);
  const fleet = await startFleet({ scrapeIntervalS: 2, ...sc.fleet });
  try {
    const rateFn = ramp(sc.from, sc.to, sc.rampMs);
    const run = startLoad({
      url: `${fleet.haproxy.frontendUrl}/`,
      rate: rateFn,
      durationMs: sc.rampMs,
      maxInFlight: 400,
      requestTimeoutMs: 8000,
      clientAddresses: sc.clients ? clientAddresses(sc.clients) : undefined,
    });
    // Sample HAProxy's counters once a second while the load runs.
    const samples: { t: number; rows: StatRow[] }[] = [];
    const sampler = setInterval(() => {
      fleet.haproxy.runtime.showStat().then((rows) => samples.push({ t: Date.now(), rows }), () => undefined);
    }, 1000);
    const r = await run.done;
    clearInterval(sampler);
    const first5xx = r.first5xxAt;
    const rec5xx = r.records.find((x) => x.status >= 500);
    console.log(`scenario ${name} cpuMs=${CPU}: sent ${r.sent} 2xx ${r.ok2xx} 5xx ${r.err5xx} errors ${r.errors} dropped ${r.dropped}`);
    console.log('answers by server', countByServer(r.records));
    if (first5xx && rec5xx) {
      console.log(`first 5xx at +${((first5xx - r.startedAt) / 1000).toFixed(1)} s, offered rate when sent ${rateFn(rec5xx.sentAt - r.startedAt).toFixed(0)} req/s, from ${rec5xx.server ?? 'haproxy itself'}`);
    } else console.log('no 5xx');
    console.log('sec offered  2xx  5xx err  p50   p99  by-server  | s1 qcur scur');
    for (const s of r.perSecond) {
      const snap = samples.find((x) => x.t - r.startedAt >= s.second * 1000 + 500);
      const s1 = snap?.rows.find((x) => x.proxy === 'be_app' && x.server === 's1');
      console.log(
        `${String(s.second).padStart(3)} ${rateFn(s.second * 1000 + 500).toFixed(0).padStart(6)} ${String(s.ok2xx).padStart(5)} ${String(s.err5xx).padStart(4)} ${String(s.errors).padStart(3)} ${String(s.p50).padStart(5)} ${String(s.p99).padStart(5)}  ${JSON.stringify(s.byServer)} | ${s1?.qcur ?? '-'} ${s1?.scur ?? '-'}`,
      );
    }
    const end = await fleet.haproxy.runtime.showStat();
    for (const row of end.filter((x) => x.proxy === 'be_app')) {
      console.log(`haproxy ${row.server}: stot ${row.stot} 2xx ${row.hrsp2xx} 5xx ${row.hrsp5xx} econ ${row.econ} eresp ${row.eresp} qmax ${row.raw.qmax}`);
    }
    // Real CPU per request: the backend's own CPU counter over its answered requests
    // (includes HTTP handling, health checks and scrapes, not only the busy loop).
    for (const b of fleet.backends) {
      const text = await (await fetch(b.metricsUrl)).text();
      const val = (re: RegExp) => Number(text.match(re)?.[1] ?? 0);
      const cpu = val(/^process_cpu_seconds_total (\S+)/m);
      const n = val(/^http_requests_total\{code="200"\} (\S+)/m) + val(/^http_requests_total\{code="503"\} (\S+)/m);
      console.log(`backend ${b.name}: cpu ${cpu.toFixed(2)} s for ${n} requests = ${((cpu * 1000) / Math.max(1, n)).toFixed(2)} ms/request (incl. startup), 503 ${val(/^http_requests_total\{code="503"\} (\S+)/m)}`);
    }
    if (fleet.prometheus) {
      const q = async (p: string) => (await fleet.prometheus!.query(p)).map((s) => `${JSON.stringify(s.metric)} ${s.value.toFixed(3)}`).join('\n  ');
      console.log('prom server 5xx increase:\n  ' + (await q('sum by (server) (increase(haproxy_server_http_responses_total{code="5xx"}[1m]))')));
      console.log('prom backend 5xx increase:\n  ' + (await q('sum by (proxy) (increase(haproxy_backend_http_responses_total{proxy="be_app",code="5xx"}[1m]))')));
      console.log('prom max cpu (5s rate) per backend over run:\n  ' + (await q('max_over_time(rate(process_cpu_seconds_total{job="backends"}[4s])[1m:1s])')));
      console.log('prom max server queue:\n  ' + (await q('max_over_time(haproxy_server_current_queue{proxy="be_app"}[1m])')));
    }
  } finally {
    await fleet.stopAll();
  }
}

await main();
