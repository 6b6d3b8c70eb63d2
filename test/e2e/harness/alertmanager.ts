// Alertmanager 0.25 under test: minimal config, start by pid, list alerts.
//
// `--cluster.listen-address=` (empty) disables the gossip cluster, which
// otherwise binds 0.0.0.0:9094 and would clash between parallel runs. With
// `cluster`, the instance gossips on a loopback port with the given peers
// (flags checked against `prometheus-alertmanager --help` of 0.25), with short
// gossip, push-pull and peer timeouts so a test sees dedup within seconds.
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { freePort } from './ports.js';
import { startProcess, type ProcessHandle } from './process.js';
import { httpOk } from './wait.js';

export interface AlertmanagerOptions {
  dir: string;
  port?: number;
  /** If set, notifications are POSTed here (webhook receiver); otherwise they go nowhere. */
  webhookUrl?: string;
  /** Join a gossip cluster: listen on 127.0.0.1:listenPort, peers as host:port. */
  cluster?: { listenPort: number; peers: string[]; peerTimeout?: string };
}

export interface AmAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  status: { state: string };
  fingerprint: string;
}

export interface PostableAlert {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  startsAt?: string;
  endsAt?: string;
  generatorURL?: string;
}

export interface AlertmanagerHandle {
  url: string;
  /** host:port, for Prometheus' alerting config. */
  address: string;
  proc: ProcessHandle;
  listAlerts(filter?: Record<string, string>): Promise<AmAlert[]>;
  postAlerts(alerts: PostableAlert[]): Promise<void>;
  stop(): Promise<void>;
}

export function renderAlertmanagerConfig(o: AlertmanagerOptions): string {
  const receiver = o.webhookUrl
    ? { name: 'sink', webhook_configs: [{ url: o.webhookUrl, send_resolved: true }] }
    : { name: 'sink' };
  return YAML.stringify({
    // Small waits: a test measures seconds, not Alertmanager's batching defaults.
    route: { receiver: 'sink', group_by: ['alertname'], group_wait: '1s', group_interval: '1s', repeat_interval: '1h' },
    receivers: [receiver],
  });
}

export async function startAlertmanager(o: AlertmanagerOptions): Promise<AlertmanagerHandle> {
  const port = o.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const cfgFile = path.join(o.dir, 'alertmanager.yml');
  fs.writeFileSync(cfgFile, renderAlertmanagerConfig(o));
  const dataDir = path.join(o.dir, 'am-data');
  fs.mkdirSync(dataDir, { recursive: true });
  const proc = await startProcess(
    'prometheus-alertmanager',
    [
      `--config.file=${cfgFile}`,
      `--storage.path=${dataDir}`,
      `--web.listen-address=127.0.0.1:${port}`,
      ...(o.cluster
        ? [
            `--cluster.listen-address=127.0.0.1:${o.cluster.listenPort}`,
            `--cluster.advertise-address=127.0.0.1:${o.cluster.listenPort}`,
            ...o.cluster.peers.map((p) => `--cluster.peer=${p}`),
            '--cluster.gossip-interval=50ms',
            '--cluster.pushpull-interval=1s',
            '--cluster.settle-timeout=2s',
            `--cluster.peer-timeout=${o.cluster.peerTimeout ?? '3s'}`,
          ]
        : ['--cluster.listen-address=']),
      '--log.level=warn',
    ],
    { cwd: o.dir, logFile: path.join(o.dir, 'alertmanager.log'), readyCheck: () => httpOk(`${url}/-/ready`), readyTimeoutMs: 15000 },
  );
  return {
    url,
    address: `127.0.0.1:${port}`,
    proc,
    listAlerts: async (filter) => {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(filter ?? {})) q.append('filter', `${k}="${v}"`);
      const res = await fetch(`${url}/api/v2/alerts?${q}`, { signal: AbortSignal.timeout(5000) });
      if (!res.ok) throw new Error(`alertmanager GET /api/v2/alerts: ${res.status} ${await res.text()}`);
      return (await res.json()) as AmAlert[];
    },
    postAlerts: async (alerts) => {
      const res = await fetch(`${url}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(alerts),
        signal: AbortSignal.timeout(5000),
      });
      if (!res.ok) throw new Error(`alertmanager POST /api/v2/alerts: ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
    },
    stop: async () => {
      await proc.stop();
    },
  };
}
