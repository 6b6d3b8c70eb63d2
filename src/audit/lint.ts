// `skewwatch audit`'s checks: settings in a declared balancer config that
// make the traffic pile-up of the postmortems possible or worse. Pure: a
// DeclaredConfig in, findings out. Each rule has a stable id (used in SARIF
// and by --fail-on), says what it risks and how to fix it.

import type { DeclaredConfig, DeclaredPool, DeclaredAt } from '../core/declared/types.js';

export type FindingSeverity = 'error' | 'warning' | 'note';

export interface Finding {
  readonly ruleId: string;
  readonly severity: FindingSeverity;
  readonly at: DeclaredAt;
  /** What is wrong, naming the pool and server. */
  readonly message: string;
  /** What it risks in production. */
  readonly risk: string;
  /** How to fix it. */
  readonly fix: string;
}

export interface AuditRule {
  readonly id: string;
  readonly name: string;
  readonly severity: FindingSeverity;
  readonly summary: string;
}

/** Every rule, for `audit --help`, SARIF's rule table and the README. */
export const AUDIT_RULES: readonly AuditRule[] = [
  { id: 'SW000', name: 'config-syntax', severity: 'error', summary: 'a line skewwatch (or haproxy -c) could not read' },
  { id: 'SW001', name: 'weight-concentration', severity: 'warning', summary: 'one server holds most of a pool\'s weight' },
  { id: 'SW002', name: 'hash-not-consistent', severity: 'warning', summary: 'hash balancing without hash-type consistent' },
  { id: 'SW003', name: 'hash-few-clients', severity: 'note', summary: 'source hashing piles up behind NAT or with few clients' },
  { id: 'SW004', name: 'no-health-check', severity: 'warning', summary: 'a server without check' },
  { id: 'SW005', name: 'no-maxconn', severity: 'warning', summary: 'servers without maxconn: no spill, unbounded per-server load' },
  { id: 'SW006', name: 'no-timeout-queue', severity: 'note', summary: 'maxconn without timeout queue' },
  { id: 'SW007', name: 'no-slowstart', severity: 'note', summary: 'servers without slowstart' },
  { id: 'SW008', name: 'single-server', severity: 'warning', summary: 'a pool of one server, or only backups' },
  { id: 'SW009', name: 'duplicate-server', severity: 'error', summary: 'duplicate server names or addresses in a pool' },
  { id: 'SW010', name: 'no-server-in-service', severity: 'error', summary: 'every server weight 0 or disabled' },
];

const RULE = new Map(AUDIT_RULES.map((r) => [r.id, r]));
const HASH_BALANCE = /^(source|uri|url_param|hdr\(|rdp-cookie|hash )/;

function finding(ruleId: string, at: DeclaredAt, message: string, risk: string, fix: string): Finding {
  return { ruleId, severity: RULE.get(ruleId)!.severity, at, message, risk, fix };
}

/** Share of the pool's weight above which one server "holds most of it". */
export const CONCENTRATION_SHARE = 0.5;

export function lintDeclared(config: DeclaredConfig): Finding[] {
  const out: Finding[] = [];
  for (const p of config.problems) {
    out.push(finding('SW000', p.at, p.message, 'this line is not what you think it is; HAProxy may refuse the file or run something else', 'fix the line (see the HAProxy configuration manual)'));
  }
  for (const pool of config.pools) lintPool(pool, out);
  return out.sort((a, b) => a.at.file.localeCompare(b.at.file) || a.at.line - b.at.line || a.ruleId.localeCompare(b.ruleId));
}

function lintPool(pool: DeclaredPool, out: Finding[]): void {
  const name = pool.pool;
  const primaries = pool.servers.filter((s) => !s.backup);
  const serving = primaries.filter((s) => !s.disabled && s.weight > 0);
  const weightSum = serving.reduce((a, s) => a + s.weight, 0);

  if (primaries.length > 0 && serving.length === 0) {
    out.push(finding('SW010', pool.at, `${name}: no primary server can take traffic (every one is weight 0, disabled or a backup)`,
      'every request fails or lands on backups only', 'give at least one primary server a weight above 0 and remove `disabled`'));
  }
  if (serving.length >= 3 && weightSum > 0) {
    for (const s of serving) {
      const share = s.weight / weightSum;
      if (share > CONCENTRATION_SHARE) {
        out.push(finding('SW001', s.at, `${name}/${s.name} has weight ${s.weight} of ${weightSum}: ${Math.round(share * 100)}% of the pool's traffic on one of ${serving.length} servers`,
          'one server takes most of the traffic; unless it has that share of the capacity it saturates while the others idle (the weight-misconfiguration outage)',
          'set weights proportional to each server\'s capacity (equal servers: equal weights)'));
      }
    }
  }
  if (HASH_BALANCE.test(pool.balance)) {
    if (pool.hashType !== 'consistent') {
      out.push(finding('SW002', pool.at, `${name}: balance ${pool.balance} with hash-type ${pool.hashType}`,
        'with map-based hashing every server change (down, up, weight) remaps most clients at once, and the map follows weights coarsely',
        'add `hash-type consistent` to the backend'));
    }
    if (pool.balance.startsWith('source')) {
      out.push(finding('SW003', pool.at, `${name}: balance source pins each client address to one server`,
        'behind a NAT, a proxy or with few large clients, most traffic lands on one server and cannot spill (the sticky-clients outage)',
        'prefer roundrobin or leastconn with cookie persistence where stickiness is needed; if source is required, set maxconn and timeout queue so a hot server sheds early'));
    }
  }
  const seenNames = new Map<string, number>();
  const seenAddrs = new Map<string, string>();
  for (const s of pool.servers) {
    if (!s.check) {
      out.push(finding('SW004', s.at, `${name}/${s.name} has no health check`,
        'a dead or hung server keeps receiving its share: its requests fail while the others are fine',
        'add `check` to the server (or `default-server check`)'));
    }
    if (seenNames.has(s.name)) {
      out.push(finding('SW009', s.at, `${name}: server name ${s.name} is used twice (first on line ${seenNames.get(s.name)})`,
        'metrics and the runtime API address servers by name: one of them cannot be seen or changed', 'give every server a unique name'));
    } else seenNames.set(s.name, s.at.line);
    const other = seenAddrs.get(s.address);
    if (other !== undefined && !s.address.startsWith('${')) {
      out.push(finding('SW009', s.at, `${name}/${s.name} has the same address ${s.address} as ${other}`,
        'one backend receives two servers\' share of the traffic', 'point each server at its own backend address'));
    } else seenAddrs.set(s.address, s.name);
  }
  if (primaries.length > 0 && primaries.every((s) => s.maxconn === null)) {
    out.push(finding('SW005', pool.at, `${name}: no server has maxconn`,
      'nothing limits how much one server is given: with skew it saturates and queues internally instead of spilling to its peers',
      'set `maxconn` per server (or in `default-server`) near the concurrency it can serve'));
  }
  if (primaries.some((s) => s.maxconn !== null) && pool.timeoutQueueMs === null) {
    out.push(finding('SW006', pool.at, `${name}: servers have maxconn but the backend has no timeout queue`,
      'queued requests wait up to `timeout connect` before the 503; set how long a queue may hold them', 'add `timeout queue 5s` (or what your clients tolerate)'));
  }
  if (primaries.length >= 2 && primaries.every((s) => s.slowstartMs === null)) {
    out.push(finding('SW007', pool.at, `${name}: no server has slowstart`,
      'a server returning to service gets its full share at once, before its caches and JIT are warm', 'add `slowstart 30s` to the servers (or `default-server`)'));
  }
  if (pool.servers.length === 1 || (pool.servers.length > 0 && primaries.length === 0)) {
    out.push(finding('SW008', pool.at, `${name}: ${pool.servers.length === 1 ? 'a single server' : 'only backup servers'}`,
      'nothing to balance over: one failure or overload is an outage', 'add servers, or mark one as primary'));
  }
}
