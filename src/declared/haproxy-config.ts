// Reads an HAProxy configuration file into the declared state skewwatch
// compares live metrics with (weights, backups, disabled servers, limits,
// balance algorithm). Only what the drift check and `audit` need is
// interpreted; everything else is skipped, never guessed at. What cannot be
// read is reported with its file and line, and the rest still loads.
//
// Grammar facts (HAProxy configuration manual, sections 2 "Configuring
// HAProxy" and 4 "Proxies"):
//   - a section starts with a keyword at any indentation: global, defaults,
//     frontend, backend, listen (plus peers, resolvers, userlist, ...);
//   - words are split on spaces; "double" and 'single' quotes group, a
//     backslash escapes, an unquoted # starts a comment;
//   - `defaults [name]` sections are inherited by the proxies after them, or
//     by name with `backend x from name` (2.4+);
//   - `default-server` sets server parameters for the servers after it;
//   - weights are 0..256, default 1; times default to milliseconds.

import type { DeclaredAt, DeclaredConfig, DeclaredPool, DeclaredProblem, DeclaredServer } from '../core/declared/types.js';

const PROXY_SECTIONS = new Set(['frontend', 'backend', 'listen', 'defaults']);
const OTHER_SECTIONS = new Set(['global', 'peers', 'resolvers', 'userlist', 'program', 'http-errors', 'ring', 'mailers', 'cache', 'fcgi-app', 'crt-store', 'traces', 'log-forward']);

/** Server keywords that take one argument (so that argument is not read as a keyword). */
const SERVER_ARG_KEYWORDS = new Set([
  'addr', 'agent-addr', 'agent-inter', 'agent-port', 'agent-send', 'alpn', 'ca-file', 'check-alpn', 'check-proto',
  'check-sni', 'ciphers', 'ciphersuites', 'cookie', 'crl-file', 'crt', 'curves', 'downinter', 'error-limit', 'fall',
  'fastinter', 'hash-key', 'id', 'init-addr', 'init-state', 'inter', 'log-proto', 'max-reuse', 'maxconn', 'maxqueue', 'minconn',
  'namespace', 'npn', 'observe', 'on-error', 'on-marked-down', 'on-marked-up', 'pool-conn-name', 'pool-low-conn',
  'pool-max-conn', 'pool-purge-delay', 'port', 'proto', 'redir', 'resolve-net', 'resolve-opts', 'resolve-prefer',
  'resolvers', 'rise', 'set-proxy-v2-tlv-fmt', 'shard', 'sigalgs', 'slowstart', 'sni', 'socks4', 'source', 'ssl-max-ver',
  'ssl-min-ver', 'tcp-ut', 'track', 'usesrc', 'verify', 'verifyhost', 'weight', 'ws', 'guid', 'log-bufsize',
]);

interface ServerDefaults {
  weight: number;
  backup: boolean;
  disabled: boolean;
  maxconn: number | null;
  slowstartMs: number | null;
  check: boolean;
}

interface ProxyDraft {
  kind: string;
  name: string;
  at: DeclaredAt;
  balance: string | null;
  hashType: string | null;
  timeoutQueueMs: number | null;
  serverDefaults: ServerDefaults;
  servers: DeclaredServer[];
}

const BASE_SERVER_DEFAULTS: ServerDefaults = { weight: 1, backup: false, disabled: false, maxconn: null, slowstartMs: null, check: false };

/** Splits one line into words: quotes group, backslash escapes, unquoted # ends the line. */
export function splitWords(line: string): { words: string[]; error: string | null } {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < line.length) cur += line[++i];
      else cur += c;
      continue;
    }
    if (c === '#') break;
    if (c === ' ' || c === '\t') {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
      continue;
    }
    inWord = true;
    if (c === '"' || c === "'") quote = c;
    else if (c === '\\' && i + 1 < line.length) cur += line[++i];
    else cur += c;
  }
  if (quote) return { words, error: `unterminated ${quote === '"' ? 'double' : 'single'} quote` };
  if (inWord) words.push(cur);
  return { words, error: null };
}

/** HAProxy time: a number with an optional unit us, ms, s, m, h, d (default ms). Null when invalid. */
export function parseHaproxyTime(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)(us|ms|s|m|h|d)?$/.exec(text);
  if (!m) return null;
  const v = Number(m[1]);
  const unit = m[2] ?? 'ms';
  const factor = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[unit]!;
  return v * factor;
}

function intIn(text: string | undefined, lo: number, hi: number): number | null {
  if (text === undefined || !/^\d+$/.test(text)) return null;
  const v = Number(text);
  return v >= lo && v <= hi ? v : null;
}

/**
 * Parses HAProxy configuration text. `file` names it in every location.
 * Frontends are read (for their structure) but only backends and listens
 * become pools: those are what the exporter's `proxy` label names.
 */
export function parseHaproxyConfig(text: string, file: string): DeclaredConfig {
  const problems: DeclaredProblem[] = [];
  const pools: DeclaredPool[] = [];
  const namedDefaults = new Map<string, ProxyDraft>();
  let lastDefaults: ProxyDraft | null = null;
  let current: ProxyDraft | null = null;
  let inOther = false;

  const finish = () => {
    if (!current) return;
    if (current.kind === 'defaults') {
      lastDefaults = current;
      if (current.name) namedDefaults.set(current.name, current);
    } else if (current.kind === 'backend' || current.kind === 'listen') {
      pools.push({
        pool: current.name,
        balance: current.balance ?? 'roundrobin',
        hashType: current.hashType ?? 'map-based',
        timeoutQueueMs: current.timeoutQueueMs,
        servers: current.servers,
        at: current.at,
      });
    }
    current = null;
  };

  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const at: DeclaredAt = { file, line: i + 1 };
    const { words, error } = splitWords(lines[i]!);
    if (error) {
      problems.push({ at, message: error });
      continue;
    }
    if (words.length === 0) continue;
    const [kw, ...args] = words as [string, ...string[]];

    if (PROXY_SECTIONS.has(kw)) {
      finish();
      inOther = false;
      let name = args[0] ?? '';
      if (name === 'from') name = '';
      if (kw !== 'defaults' && name === '') {
        problems.push({ at, message: `${kw} section without a name` });
      }
      // `backend x from defname` (2.4+) picks named defaults; otherwise the
      // last defaults section. A new defaults section starts from scratch
      // ("reset by the next defaults section") unless it names one with from.
      const fromIdx = args.indexOf('from');
      let parent: ProxyDraft | null = kw === 'defaults' ? null : lastDefaults;
      if (fromIdx >= 0) {
        const ref = args[fromIdx + 1];
        parent = ref !== undefined ? (namedDefaults.get(ref) ?? null) : null;
        if (!parent) problems.push({ at, message: `${kw} ${name}: defaults section ${JSON.stringify(ref ?? '')} not found` });
      }
      current = {
        kind: kw,
        name,
        at,
        balance: parent?.balance ?? null,
        hashType: parent?.hashType ?? null,
        timeoutQueueMs: parent?.timeoutQueueMs ?? null,
        serverDefaults: { ...(parent?.serverDefaults ?? BASE_SERVER_DEFAULTS) },
        servers: [],
      };
      continue;
    }
    if (OTHER_SECTIONS.has(kw)) {
      finish();
      inOther = true;
      continue;
    }
    if (inOther) continue;
    if (!current) {
      problems.push({ at, message: `${JSON.stringify(kw)} outside of any section` });
      continue;
    }
    readProxyLine(current, kw, args, at, problems);
  }
  finish();
  return { pools, problems };
}

function readProxyLine(p: ProxyDraft, kw: string, args: string[], at: DeclaredAt, problems: DeclaredProblem[]): void {
  switch (kw) {
    case 'balance':
      if (args.length === 0) problems.push({ at, message: 'balance needs an algorithm' });
      else p.balance = args[0] === 'hash' && args[1] ? `hash ${args[1]}` : args[0]!;
      return;
    case 'hash-type':
      if (args.length === 0) problems.push({ at, message: 'hash-type needs a method (map-based or consistent)' });
      else p.hashType = args[0]!;
      return;
    case 'timeout':
      if (args[0] === 'queue') {
        const ms = args[1] !== undefined ? parseHaproxyTime(args[1]) : null;
        if (ms === null) problems.push({ at, message: `timeout queue: expected a time such as 5s, got ${JSON.stringify(args[1] ?? '')}` });
        else p.timeoutQueueMs = ms;
      }
      return;
    case 'default-server':
      readServerParams(p.serverDefaults, args, 0, at, problems, 'default-server');
      return;
    case 'server': {
      if (p.kind === 'frontend') {
        problems.push({ at, message: 'server lines belong in a backend or listen section, not a frontend' });
        return;
      }
      if (p.kind === 'defaults') {
        problems.push({ at, message: 'server lines belong in a backend or listen section, not defaults' });
        return;
      }
      const [name, address] = args;
      if (!name || !address) {
        problems.push({ at, message: 'server needs a name and an address' });
        return;
      }
      const params: ServerDefaults = { ...p.serverDefaults };
      readServerParams(params, args, 2, at, problems, `server ${name}`);
      p.servers.push({ name, address, ...params, at });
      return;
    }
    default:
      return; // everything else is valid HAProxy we do not need
  }
}

function readServerParams(into: ServerDefaults, args: string[], start: number, at: DeclaredAt, problems: DeclaredProblem[], what: string): void {
  for (let j = start; j < args.length; j++) {
    const w = args[j]!;
    switch (w) {
      case 'backup': into.backup = true; continue;
      case 'no-backup': into.backup = false; continue;
      case 'disabled': into.disabled = true; continue;
      case 'enabled': into.disabled = false; continue;
      case 'check': into.check = true; continue;
      case 'no-check': into.check = false; continue;
      default: break;
    }
    if (!SERVER_ARG_KEYWORDS.has(w)) continue; // a flag we do not need (ssl, send-proxy, ...)
    const v = args[j + 1];
    j++;
    if (w === 'weight') {
      const n = intIn(v, 0, 256);
      if (n === null) problems.push({ at, message: `${what}: weight must be an integer from 0 to 256, got ${JSON.stringify(v ?? '')}` });
      else into.weight = n;
    } else if (w === 'maxconn') {
      const n = intIn(v, 0, 1e9);
      if (n === null) problems.push({ at, message: `${what}: maxconn must be a non-negative integer, got ${JSON.stringify(v ?? '')}` });
      else into.maxconn = n === 0 ? null : n;
    } else if (w === 'slowstart') {
      const ms = v !== undefined ? parseHaproxyTime(v) : null;
      if (ms === null) problems.push({ at, message: `${what}: slowstart must be a time such as 30s, got ${JSON.stringify(v ?? '')}` });
      else into.slowstartMs = ms > 0 ? ms : null;
    } else if (v === undefined) {
      problems.push({ at, message: `${what}: ${w} needs a value` });
    }
  }
}
