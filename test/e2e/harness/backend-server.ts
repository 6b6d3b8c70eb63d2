// Start one backend application as a separate node process.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startProcess, type ProcessHandle } from './process.js';
import { freePort } from './ports.js';
import { httpOk } from './wait.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** Repository root: tsx is resolved from its node_modules. */
export const REPO_ROOT = path.resolve(HERE, '../../..');

export interface BackendOptions {
  name: string;
  /** CPU ms per request (default 4). */
  cpuMs?: number;
  /** App queue bound; 0 = unbounded (default). */
  maxQueue?: number;
  port?: number;
  logDir: string;
}

export interface BackendHandle {
  name: string;
  port: number;
  url: string;
  metricsUrl: string;
  proc: ProcessHandle;
  stop(): Promise<void>;
}

export async function startBackend(opts: BackendOptions): Promise<BackendHandle> {
  const port = opts.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const proc = await startProcess(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(HERE, 'backend-main.ts'),
      '--name',
      opts.name,
      '--port',
      String(port),
      '--cpu-ms',
      String(opts.cpuMs ?? 4),
      '--max-queue',
      String(opts.maxQueue ?? 0),
    ],
    {
      cwd: REPO_ROOT,
      logFile: path.join(opts.logDir, `backend-${opts.name}.log`),
      readyCheck: () => httpOk(`${url}/healthz`),
      readyTimeoutMs: 15000,
      stopTimeoutMs: 3000,
    },
  );
  return {
    name: opts.name,
    port,
    url,
    metricsUrl: `${url}/metrics`,
    proc,
    stop: async () => {
      await proc.stop();
    },
  };
}
