// Prometheus 2.42 under test: config, start by pid, query helpers.
//
// Flags checked against `prometheus -h` of 2.42: --config.file,
// --storage.tsdb.path, --web.listen-address, --storage.tsdb.retention.time.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { freePort } from './ports.js';
import { startProcess, type ProcessHandle } from './process.js';
import { httpOk, waitFor } from './wait.js';

export interface ScrapeBackend {
  /** HAProxy server name, e.g. "s1": becomes the `server` label. */
  server: string;
  port: number;
}

export interface PrometheusOptions {
  dir: string;
  port?: number;
  /** Seconds; 1 or 2 keeps both cores usable. */
  scrapeIntervalS?: number;
  haproxyExporterPort: number;
  /** HAProxy backend name the backends belong to: becomes the `proxy` label. */
  proxy?: string;
  backends: ScrapeBackend[];
  /** Rule files (absolute paths) to load, e.g. the community rule set for comparison runs. */
  ruleFiles?: string[];
  /** host:port of an Alertmanager to send alerts to. */
  alertmanager?: string;
}

export function renderPrometheusConfig(o: PrometheusOptions): string {
  const interval = `${o.scrapeIntervalS ?? 1}s`;
  const proxy = o.proxy ?? 'be_app';
  const cfg: Record<string, unknown> = {
    global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval },
    scrape_configs: [
      { job_name: 'haproxy', static_configs: [{ targets: [`127.0.0.1:${o.haproxyExporterPort}`] }] },
      {
        job_name: 'backends',
        // Target labels proxy/server equal to HAProxy's own labels, so a
        // backend's CPU joins HAProxy's per-server series on (proxy, server).
        static_configs: o.backends.map((b) => ({
          targets: [`127.0.0.1:${b.port}`],
          labels: { proxy, server: b.server },
        })),
      },
    ],
  };
  if (o.ruleFiles?.length) cfg.rule_files = o.ruleFiles;
  if (o.alertmanager) cfg.alerting = { alertmanagers: [{ static_configs: [{ targets: [o.alertmanager] }] }] };
  return YAML.stringify(cfg);
}

export interface Sample {
  metric: Record<string, string>;
  value: number;
  t: number;
}

export interface RangeSeries {
  metric: Record<string, string>;
  values: { t: number; value: number }[];
}

export interface PrometheusHandle {
  url: string;
  proc: ProcessHandle;
  /** Instant query; `time` in epoch ms (default now). */
  query(promql: string, time?: number): Promise<Sample[]>;
  /** Range query; times in epoch ms, step in seconds. */
  queryRange(promql: string, startMs: number, endMs: number, stepS: number): Promise<RangeSeries[]>;
  /** Wait until every configured target has been scraped successfully. */
  waitTargetsUp(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

interface ApiResponse<T> {
  status: string;
  data: T;
  error?: string;
}

async function api<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  const body = (await res.json()) as ApiResponse<T>;
  if (body.status !== 'success') throw new Error(`prometheus ${url}: ${body.error ?? res.status}`);
  return body.data;
}

export async function startPrometheus(o: PrometheusOptions): Promise<PrometheusHandle> {
  const port = o.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const cfgFile = path.join(o.dir, 'prometheus.yml');
  fs.writeFileSync(cfgFile, renderPrometheusConfig(o));
  const proc = await startProcess(
    'prometheus',
    [
      `--config.file=${cfgFile}`,
      `--storage.tsdb.path=${path.join(o.dir, 'prom-data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=1h',
      '--log.level=warn',
    ],
    { cwd: o.dir, logFile: path.join(o.dir, 'prometheus.log'), readyCheck: () => httpOk(`${url}/-/ready`), readyTimeoutMs: 20000 },
  );
  const expected = 1 + o.backends.length;
  return {
    url,
    proc,
    query: async (promql, time) => {
      const q = new URLSearchParams({ query: promql });
      if (time !== undefined) q.set('time', String(time / 1000));
      const data = await api<{ resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] }>(
        `${url}/api/v1/query?${q}`,
      );
      if (data.resultType !== 'vector') throw new Error(`query returned ${data.resultType}, expected vector: ${promql}`);
      return data.result.map((r) => ({ metric: r.metric, t: r.value[0] * 1000, value: Number(r.value[1]) }));
    },
    queryRange: async (promql, startMs, endMs, stepS) => {
      const q = new URLSearchParams({ query: promql, start: String(startMs / 1000), end: String(endMs / 1000), step: String(stepS) });
      const data = await api<{ result: { metric: Record<string, string>; values: [number, string][] }[] }>(`${url}/api/v1/query_range?${q}`);
      return data.result.map((r) => ({ metric: r.metric, values: r.values.map(([t, v]) => ({ t: t * 1000, value: Number(v) })) }));
    },
    waitTargetsUp: async (timeoutMs = 15000) => {
      await waitFor(
        'prometheus targets up',
        async () => {
          const d = await api<{ activeTargets: { health: string }[] }>(`${url}/api/v1/targets?state=active`);
          return d.activeTargets.length === expected && d.activeTargets.every((t) => t.health === 'up');
        },
        timeoutMs,
        250,
      );
    },
    stop: async () => {
      await proc.stop();
    },
  };
}
