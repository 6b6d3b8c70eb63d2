// `haproxy -c -f FILE`, when the binary exists: HAProxy's own verdict on the
// file, turned into findings on the lines it names. audit works without it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Finding } from './lint.js';

export interface HaproxyCheck {
  /** The binary used, or null when none was found. */
  readonly binary: string | null;
  /** true: HAProxy accepted the file; false: it refused; null: not run. */
  readonly valid: boolean | null;
  readonly findings: readonly Finding[];
  readonly output: string;
}

/** PATH plus /usr/sbin and /sbin (Debian installs haproxy there, outside a user's PATH). */
export function findHaproxy(env: NodeJS.ProcessEnv): string | null {
  const dirs = [...(env.PATH ?? '').split(delimiter).filter(Boolean), '/usr/sbin', '/sbin', '/usr/local/sbin'];
  for (const d of dirs) {
    const p = join(d, 'haproxy');
    if (existsSync(p)) return p;
  }
  return null;
}

// HAProxy 2.x names the line two ways:
//   "[ALERT]    (123) : config : parsing [/etc/haproxy/haproxy.cfg:12]: unmatched quote ..."
//   "[ALERT]    (123) : config : [/etc/haproxy/haproxy.cfg:10] : 'server be/s1' : weight ..."
const LOCATED = /\[(ALERT|WARNING)\][^:]*:\s*config\s*:\s*(?:parsing\s*)?\[(.+):(\d+)\]\s*:\s*(.*)$/;

export function runHaproxyCheck(file: string, env: NodeJS.ProcessEnv, timeoutMs = 15_000): HaproxyCheck {
  const binary = findHaproxy(env);
  if (!binary) return { binary: null, valid: null, findings: [], output: '' };
  const r = spawnSync(binary, ['-c', '-f', file], { encoding: 'utf8', timeout: timeoutMs, env: { PATH: env.PATH ?? '' } });
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
  const findings: Finding[] = [];
  for (const line of output.split('\n')) {
    const m = LOCATED.exec(line);
    if (m && m[1] === 'ALERT') {
      findings.push({
        ruleId: 'SW000',
        severity: 'error',
        at: { file, line: Number(m[3]) },
        message: `haproxy -c: ${m[4]!.trim()}`,
        risk: 'HAProxy refuses to load this file',
        fix: 'fix the line HAProxy names',
      });
    }
  }
  // Exit 2 is "no error but will not start (no listener)": a backend-only
  // file (a fragment, or the part a sidecar mounts) is still valid.
  const valid = r.status === 0 || r.status === 2;
  if (!valid && findings.length === 0) {
    const first = output.split('\n').find((l) => l.includes('[ALERT]')) ?? (r.error ? String(r.error.message) : `exit status ${r.status}`);
    findings.push({ ruleId: 'SW000', severity: 'error', at: { file, line: 1 }, message: `haproxy -c: ${first.replace(/^\[ALERT\]\s*(\(\d+\))?\s*:?\s*/, '')}`, risk: 'HAProxy refuses to load this file', fix: 'run haproxy -c -f on the file and fix what it says' });
  }
  return { binary, valid, findings, output };
}
