// Helpers for end-to-end tests that drive the built skewwatch CLI
// (dist/cli.js) as a child process, plus small measuring tools shared by
// those tests: HAProxy stot sampling, HTTP probes, exposition parsing.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sleep, startProcess, type HaproxyRuntime, type ProcessHandle } from '../harness/index.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');

/** Fails with an actionable message when `npm run build` has not been run. */
export function assertBuilt(): void {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
}

/**
 * The parent's environment without any SKEWWATCH_* variable, so a developer's
 * shell cannot change what a test runs, plus the given overrides.
 */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SKEWWATCH_')) env[k] = v;
  return { ...env, ...extra };
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  durationMs: number;
}

/** Runs `node dist/cli.js <args>` to completion (SIGKILL after timeoutMs). */
export function runCli(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 30_000): Promise<CliResult> {
  assertBuilt();
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, durationMs: Date.now() - started });
    });
  });
}

/**
 * Starts `node dist/cli.js run ...` through the harness (pid registered, so
 * it is killed even if the test runner dies), ready once /healthz answers.
 */
export async function startDaemon(opts: { args: string[]; env: NodeJS.ProcessEnv; logFile: string; baseUrl: string; readyTimeoutMs?: number }): Promise<ProcessHandle> {
  assertBuilt();
  return startProcess(process.execPath, [CLI, 'run', ...opts.args], {
    cwd: REPO_ROOT,
    env: opts.env,
    logFile: opts.logFile,
    readyCheck: async () => (await httpGet(`${opts.baseUrl}/healthz`, 500)).status === 200,
    readyTimeoutMs: opts.readyTimeoutMs ?? 15_000,
    stopTimeoutMs: 10_000,
  });
}

export async function httpGet(url: string, timeoutMs = 2000): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  return { status: res.status, body: await res.text() };
}

export async function getJson<T>(url: string, timeoutMs = 2000): Promise<T> {
  const r = await httpGet(url, timeoutMs);
  if (r.status !== 200) throw new Error(`GET ${url}: HTTP ${r.status}: ${r.body.slice(0, 200)}`);
  return JSON.parse(r.body) as T;
}

/** Value of one sample in a text exposition, matching the given labels exactly (subset match). */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const m = /^([^{\s]+)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const got: Record<string, string> = {};
    for (const lm of (m[2] ?? '').matchAll(/([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) got[lm[1]!] = lm[2]!;
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
}

/** Sum of every sample of a metric (all label sets). */
export function metricSum(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) sum += Number(line.trim().split(/\s+/).pop());
  }
  return sum;
}

/** Parsed pino JSON lines of a log (non-JSON lines skipped). */
export function jsonLines(text: string): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // a partial last line
    }
  }
  return out;
}

interface StotSample {
  at: number;
  stot: Record<string, number>;
}

/**
 * Polls HAProxy's runtime API `show stat` and keeps per-server `stot`
 * (sessions, HAProxy's own request count) with the time each answer came
 * back, so a test can read HAProxy's counts over any past interval.
 */
export class StotSampler {
  readonly samples: StotSample[] = [];
  private stopped = false;
  private loop: Promise<void> | undefined;

  constructor(private readonly runtime: HaproxyRuntime, private readonly backend: string, private readonly everyMs = 200) {}

  start(): this {
    this.loop = (async () => {
      while (!this.stopped) {
        const t0 = Date.now();
        try {
          const rows = await this.runtime.servers(this.backend);
          const t1 = Date.now();
          this.samples.push({ at: t0 + (t1 - t0) / 2, stot: Object.fromEntries(rows.map((r) => [r.server, r.stot])) });
        } catch {
          // a busy socket: skip one sample
        }
        await sleep(this.everyMs);
      }
    })();
    return this;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  /** stot of `server` at time `t`, linearly interpolated between samples. */
  valueAt(server: string, t: number): number {
    const s = this.samples;
    if (s.length === 0 || t < s[0]!.at || t > s[s.length - 1]!.at) {
      throw new Error(`no stot samples around ${new Date(t).toISOString()} (have ${s.length})`);
    }
    let i = 1;
    while (i < s.length && s[i]!.at < t) i++;
    const a = s[Math.max(0, i - 1)]!;
    const b = s[Math.min(s.length - 1, i)]!;
    const va = a.stot[server] ?? 0;
    const vb = b.stot[server] ?? 0;
    if (b.at === a.at) return vb;
    return va + ((vb - va) * (t - a.at)) / (b.at - a.at);
  }

  /** Requests per second HAProxy counted for `server` in [from, to]. */
  rate(server: string, from: number, to: number): number {
    return (this.valueAt(server, to) - this.valueAt(server, from)) / ((to - from) / 1000);
  }
}

export function writeFile(file: string, text: string): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

export const relErr = (got: number, want: number) => Math.abs(got - want) / want;
