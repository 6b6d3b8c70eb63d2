// Global registry of every child process the harness started.
//
// Why: a failing assertion, an uncaught error or Ctrl-C must never leave an
// HAProxy or Prometheus running on the machine (they hold ports and CPU on a
// 2-core box). Every start registers the pid here; exit hooks kill what is
// left. Pids are also written to a small file so the next run can reap
// children of a run that was SIGKILLed (no hook can run then).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

interface Entry {
  pid: number;
  cmd: string;
  pidFile: string;
}

const live = new Map<number, Entry>();
const PID_DIR = path.join(os.tmpdir(), 'skewwatch-e2e-pids');
let hooksInstalled = false;

/** True if the pid exists and is not a zombie (a zombie has exited; only its parent has not reaped it yet). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    // EPERM means it exists but is not ours: still alive.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // /proc/<pid>/stat: "pid (comm) S ..."; comm may contain spaces, so split after the last ')'.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc: trust kill(0)
  }
}

function cmdlineOf(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

export function register(pid: number, cmd: string): void {
  installHooks();
  fs.mkdirSync(PID_DIR, { recursive: true });
  const pidFile = path.join(PID_DIR, `${process.pid}-${pid}.json`);
  fs.writeFileSync(pidFile, JSON.stringify({ owner: process.pid, pid, cmd }));
  live.set(pid, { pid, cmd, pidFile });
}

export function unregister(pid: number): void {
  const e = live.get(pid);
  if (!e) return;
  live.delete(pid);
  fs.rmSync(e.pidFile, { force: true });
}

export function registeredPids(): number[] {
  return [...live.keys()];
}

/** Synchronous: usable from the 'exit' hook, where nothing async runs. */
export function killAllSync(signal: NodeJS.Signals = 'SIGKILL'): void {
  for (const e of live.values()) {
    try {
      process.kill(e.pid, signal);
    } catch {
      // already gone
    }
    fs.rmSync(e.pidFile, { force: true });
  }
  live.clear();
}

/**
 * Kill children recorded by harness runs whose owner is dead (e.g. the test
 * runner was SIGKILLed on timeout). Checks /proc cmdline so a recycled pid of
 * an unrelated process is never touched.
 */
export function reapStale(): number {
  let reaped = 0;
  let files: string[] = [];
  try {
    files = fs.readdirSync(PID_DIR);
  } catch {
    return 0;
  }
  for (const f of files) {
    const file = path.join(PID_DIR, f);
    try {
      const rec = JSON.parse(fs.readFileSync(file, 'utf8')) as { owner: number; pid: number; cmd: string };
      if (rec.owner === process.pid || isAlive(rec.owner)) continue;
      if (isAlive(rec.pid) && cmdlineOf(rec.pid).includes(path.basename(rec.cmd))) {
        process.kill(rec.pid, 'SIGKILL');
        reaped++;
      }
      fs.rmSync(file, { force: true });
    } catch {
      fs.rmSync(file, { force: true });
    }
  }
  return reaped;
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  // 'exit' also runs after an uncaught exception, so this one hook covers
  // failures; only synchronous work is possible here, hence SIGKILL.
  process.on('exit', () => killAllSync('SIGKILL'));
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      killAllSync('SIGKILL');
      // Re-raise so the exit status still says "killed by signal".
      process.kill(process.pid, sig);
    });
  }
}
