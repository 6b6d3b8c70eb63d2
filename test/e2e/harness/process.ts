// Start and stop one child process by pid, with readiness and logs.
//
// Every child's stdout and stderr go to a log file (never to the test
// output, which would bury the assertion), and `logs()` reads it back so a
// failure can quote the tail.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { isAlive, reapStale, register, unregister } from './registry.js';
import { resolveBinary } from './binaries.js';
import { sleep } from './wait.js';

export { requireBinaries, INSTALL_HINT, MissingBinaryError, findBinary, isCI } from './binaries.js';

export interface StartOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  logFile: string;
  /** Polled until it resolves true; a throw counts as "not yet". */
  readyCheck?: () => Promise<boolean>;
  readyTimeoutMs?: number;
  readyIntervalMs?: number;
  /** SIGTERM to SIGKILL deadline used by stop(). */
  stopTimeoutMs?: number;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ProcessHandle {
  readonly pid: number;
  readonly cmd: string;
  readonly logFile: string;
  /** Resolves when the process has exited (and been reaped). */
  readonly exited: Promise<ExitInfo>;
  running(): boolean;
  /** SIGTERM, then SIGKILL after the deadline. Idempotent. */
  stop(timeoutMs?: number): Promise<ExitInfo>;
  /** Whole log file (stdout+stderr). */
  logs(): string;
  /** Last `n` lines of the log, for error messages. */
  tail(n?: number): string;
}

let reaped = false;

export async function startProcess(cmd: string, args: string[], opts: StartOptions): Promise<ProcessHandle> {
  if (!reaped) {
    reaped = true;
    reapStale();
  }
  // Resolve first so a missing binary gives the install hint, not ENOENT.
  const bin = resolveBinary(cmd);
  fs.mkdirSync(path.dirname(opts.logFile), { recursive: true });
  const fd = fs.openSync(opts.logFile, 'a');
  const child = spawn(bin, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: ['ignore', fd, fd],
  });
  fs.closeSync(fd); // the child holds its own copy
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  if (child.pid === undefined) {
    throw new Error(`failed to start ${bin}: ${String(await spawnError)}`);
  }
  const pid = child.pid;
  register(pid, bin);

  let exitInfo: ExitInfo | undefined;
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      unregister(pid);
      resolve(exitInfo);
    });
  });

  const logs = () => {
    try {
      return fs.readFileSync(opts.logFile, 'utf8');
    } catch {
      return '';
    }
  };
  const tail = (n = 20) => logs().split('\n').slice(-n - 1).join('\n');
  let stopping: Promise<ExitInfo> | undefined;
  const stop = (timeoutMs = opts.stopTimeoutMs ?? 5000) => {
    stopping ??= (async () => {
      if (exitInfo) return exitInfo;
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // raced with its own exit
      }
      const t = setTimeout(() => {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }, timeoutMs);
      const info = await exited;
      clearTimeout(t);
      return info;
    })();
    return stopping;
  };

  const handle: ProcessHandle = {
    pid,
    cmd: bin,
    logFile: opts.logFile,
    exited,
    running: () => exitInfo === undefined && isAlive(pid),
    stop,
    logs,
    tail,
  };

  if (opts.readyCheck) {
    const deadline = Date.now() + (opts.readyTimeoutMs ?? 15000);
    for (;;) {
      if (exitInfo) {
        throw new Error(`${path.basename(bin)} exited before ready (${JSON.stringify(exitInfo)}); log ${opts.logFile}:\n${tail()}`);
      }
      let ok = false;
      try {
        ok = await opts.readyCheck();
      } catch {
        ok = false;
      }
      if (ok) break;
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`${path.basename(bin)} not ready after ${opts.readyTimeoutMs ?? 15000} ms; log ${opts.logFile}:\n${tail()}`);
      }
      await sleep(opts.readyIntervalMs ?? 100);
    }
  }
  return handle;
}
