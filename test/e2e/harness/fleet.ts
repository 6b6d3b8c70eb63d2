// One call to start the whole stack: N backends, HAProxy in front of them,
// Prometheus scraping all of it, and optionally Alertmanager.
// Everything started is stopped by stopAll(), also when startup fails half way.
import path from 'node:path';
import { startAlertmanager, type AlertmanagerHandle } from './alertmanager.js';
import { startBackend, type BackendHandle } from './backend-server.js';
import { startHaproxy, type Balance, type HaproxyHandle } from './haproxy.js';
import { startPrometheus, type PrometheusHandle } from './prometheus.js';
import { isAlive } from './registry.js';
import { makeTempDir, removeTempDir } from './tmp.js';

export interface FleetBackendSpec {
  /** HAProxy server name; default s1, s2, ... */
  name?: string;
  weight?: number;
  maxconn?: number;
  cpuMs?: number;
  /** App queue bound (503 beyond it); 0 = unbounded. */
  maxQueue?: number;
}

export interface FleetOptions {
  backends: FleetBackendSpec[];
  balance?: Balance;
  hashType?: 'map-based' | 'consistent';
  timeoutQueueMs?: number;
  scrapeIntervalS?: number;
  alertmanager?: boolean;
  /** Webhook for Alertmanager notifications. */
  alertmanagerWebhookUrl?: string;
  ruleFiles?: string[];
  /** Skip Prometheus (e.g. calibration runs that only need HAProxy). */
  prometheus?: boolean;
}

export interface Fleet {
  dir: string;
  backends: BackendHandle[];
  haproxy: HaproxyHandle;
  prometheus?: PrometheusHandle;
  alertmanager?: AlertmanagerHandle;
  /** Every pid started so far (HAProxy's current pid included). */
  pids(): number[];
  stopAll(): Promise<void>;
}

export async function startFleet(o: FleetOptions): Promise<Fleet> {
  const dir = makeTempDir();
  const backends: BackendHandle[] = [];
  let haproxy: HaproxyHandle | undefined;
  let prometheus: PrometheusHandle | undefined;
  let alertmanager: AlertmanagerHandle | undefined;
  const allPids = new Set<number>();

  const stopAll = async () => {
    // Reverse start order; allSettled so one failing stop does not leak the rest.
    await Promise.allSettled([prometheus?.stop(), alertmanager?.stop()]);
    await Promise.allSettled([haproxy?.stop()]);
    await Promise.allSettled(backends.map((b) => b.stop()));
    removeTempDir(dir);
  };

  try {
    // Backends start in parallel: each is its own node process.
    const started = await Promise.all(
      o.backends.map((b, i) =>
        startBackend({ name: b.name ?? `s${i + 1}`, cpuMs: b.cpuMs, maxQueue: b.maxQueue, logDir: dir }),
      ),
    );
    backends.push(...started);
    backends.forEach((b) => allPids.add(b.proc.pid));
    if (o.alertmanager) {
      alertmanager = await startAlertmanager({ dir, webhookUrl: o.alertmanagerWebhookUrl });
      allPids.add(alertmanager.proc.pid);
    }
    haproxy = await startHaproxy({
      dir,
      balance: o.balance,
      hashType: o.hashType,
      timeoutQueueMs: o.timeoutQueueMs,
      servers: o.backends.map((b, i) => ({ name: backends[i]!.name, port: backends[i]!.port, weight: b.weight, maxconn: b.maxconn })),
    });
    allPids.add(haproxy.proc().pid);
    if (o.prometheus !== false) {
      prometheus = await startPrometheus({
        dir,
        scrapeIntervalS: o.scrapeIntervalS,
        haproxyExporterPort: haproxy.options().exporterPort,
        backends: backends.map((b) => ({ server: b.name, port: b.port })),
        ruleFiles: o.ruleFiles,
        alertmanager: alertmanager?.address,
      });
      allPids.add(prometheus.proc.pid);
    }
    // FIELD-NOTES: `balance source` remaps once health checks pass, so
    // nothing is "ready" until every server is UP.
    await haproxy.waitServersUp();
    if (prometheus) await prometheus.waitTargetsUp();
  } catch (e) {
    await stopAll();
    throw e;
  }
  const h = haproxy;
  return {
    dir: path.resolve(dir),
    backends,
    haproxy: h,
    prometheus,
    alertmanager,
    pids: () => {
      allPids.add(h.proc().pid);
      return [...allPids];
    },
    stopAll,
  };
}

/** Pids from the list that are still alive (should be [] after stopAll). */
export function alivePids(pids: number[]): number[] {
  return pids.filter(isAlive);
}
