// `npm run bench:scale`: skewwatch's real query-mode cycle against a real
// Prometheus and a real VictoriaMetrics holding SCALE_POOLS x SCALE_BACKENDS
// HAProxy-shaped backends (default 10,000 x 10), one database at a time.
// Children: the generated exporter (split over EXPORTERS ports so the database
// scrapes in parallel), the database, the recording proxy, and the measuring
// skewwatch process (measure.mjs). Prints one JSON line per database.
// Env: SCALE_POOLS, SCALE_BACKENDS, SCALE_SCRAPE (s, default 10), SCALE_WINDOW
// (rate window, default 1m), SCALE_CYCLES (default 3), SCALE_DBS (default both),
// SCALE_NODE_OPTIONS (V8 flags for the measured process).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../test/e2e/harness/ports.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const POOLS = Number(process.env.SCALE_POOLS ?? 10_000);
const PER_POOL = Number(process.env.SCALE_BACKENDS ?? 10);
const SCRAPE_S = Number(process.env.SCALE_SCRAPE ?? 10);
const WINDOW = process.env.SCALE_WINDOW ?? '1m';
const WINDOW_S = Number(/^(\d+)([sm])$/.exec(WINDOW)?.[1]) * (WINDOW.endsWith('m') ? 60 : 1);
const CYCLES = process.env.SCALE_CYCLES ?? '3';
const EXPORTERS = Math.max(1, Math.min(8, Math.ceil(POOLS / 1250)));
const DBS = (process.env.SCALE_DBS ?? 'prometheus,victoriametrics').split(',');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const children: ChildProcess[] = [];

function start(cmd: string, args: string[], ipc = false): ChildProcess {
  const c = spawn(cmd, args, { stdio: ipc ? ['ignore', 'inherit', 'inherit', 'ipc'] : ['ignore', 'ignore', 'inherit'] });
  children.push(c);
  return c;
}
const ready = (c: ChildProcess) => new Promise<void>((res, rej) => { c.once('message', () => res()); c.once('exit', (code) => rej(new Error(`child exited ${code}`))); });

async function stopAll(): Promise<void> {
  for (const c of children.splice(0)) {
    if (c.exitCode !== null) continue;
    c.kill('SIGTERM');
    await new Promise((r) => { const t = setTimeout(() => { c.kill('SIGKILL'); r(null); }, 10_000); c.once('exit', () => { clearTimeout(t); r(null); }); });
  }
}

/** Polls until fn is true; bounded by `ms`. */
async function until(what: string, ms: number, fn: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn().catch(() => false)) return;
    await sleep(1000);
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

async function scalar(url: string, promql: string): Promise<number> {
  const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`, { signal: AbortSignal.timeout(30_000) });
  const body = (await res.json()) as { data?: { result?: Array<{ value: [number, string] }> } };
  return Number(body.data?.result?.[0]?.value[1] ?? NaN);
}

async function benchOne(db: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), `skewwatch-scale-${db}-`));
  try {
    const ports: number[] = [];
    const per = Math.ceil(POOLS / EXPORTERS);
    for (let i = 0; i < EXPORTERS; i++) {
      const port = await freePort();
      ports.push(port);
      const c = start(process.execPath, [join(here, 'exporter.mjs'), String(port), String(i * per), String(Math.min(per, POOLS - i * per)), String(PER_POOL)], true);
      await ready(c);
    }
    const cfg = join(dir, 'scrape.yml');
    writeFileSync(cfg, JSON.stringify({
      global: { scrape_interval: `${SCRAPE_S}s`, scrape_timeout: `${SCRAPE_S}s` },
      scrape_configs: [{ job_name: 'haproxy', static_configs: [{ targets: ports.map((p) => `127.0.0.1:${p}`) }] }],
    }));
    const dbPort = await freePort();
    const url = `http://127.0.0.1:${dbPort}`;
    if (db === 'prometheus') {
      start('prometheus', [`--config.file=${cfg}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${dbPort}`, '--storage.tsdb.retention.time=1h', '--log.level=warn']);
    } else {
      // -search.latencyOffset defaults to 30s (VM hides the newest 30 s of data); the bench wants fresh data.
      start('victoria-metrics', [`-storageDataPath=${join(dir, 'data')}`, `-httpListenAddr=127.0.0.1:${dbPort}`, `-promscrape.config=${cfg}`,
        '-search.latencyOffset=1s', '-promscrape.maxScrapeSize=256MB', '-search.maxUniqueTimeseries=5000000', '-retentionPeriod=1d', '-loggerLevel=ERROR', '-search.maxQueryDuration=120s']);
    }
    const backends = POOLS * PER_POOL;
    const t0 = Date.now();
    await until(`${db} to hold every backend`, 300_000, async () => (await scalar(url, 'count(haproxy_server_weight)')) === backends);
    // Enough scrapes for the rate window: the window plus two scrape intervals after the first full scrape.
    await sleep((WINDOW_S + 2 * SCRAPE_S) * 1000);
    await until(`${db} to rate every backend`, 120_000, async () => (await scalar(url, `count(rate(haproxy_server_http_responses_total{code="2xx"}[${WINDOW}]))`)) === backends);
    console.error(`${db}: loaded ${backends} backends in ${Math.round((Date.now() - t0) / 1000)} s`);
    const proxyPort = await freePort();
    await ready(start(process.execPath, [join(here, 'proxy.mjs'), String(proxyPort), url], true));
    // SCALE_NODE_OPTIONS: V8 flags for the measured process, e.g. --max-old-space-size=160 (see docs/scaling.md).
    const nodeFlags = (process.env.SCALE_NODE_OPTIONS ?? '').split(' ').filter(Boolean);
    const m = spawn(process.execPath, ['--expose-gc', ...nodeFlags, join(here, 'measure.mjs'), db, `http://127.0.0.1:${proxyPort}`, WINDOW, CYCLES], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    m.stdout!.on('data', (d) => { out += d; });
    const code = await new Promise((r) => m.once('exit', r));
    if (code !== 0) throw new Error(`measure for ${db} exited ${code}`);
    process.stdout.write(out);
  } finally {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
}

process.on('SIGINT', () => { void stopAll().then(() => process.exit(130)); });
for (const db of DBS) await benchOne(db);
