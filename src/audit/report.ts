// Text and JSON renderings of an audit: findings, HAProxy's own verdict, and
// the live diff (declared vs running) when --against was given.
import type { PoolDrift } from '../core/declared/drift.js';
import type { Finding, FindingSeverity } from './lint.js';

export interface AuditReport {
  readonly file: string;
  readonly pools: number;
  readonly servers: number;
  readonly findings: readonly Finding[];
  readonly haproxy: { readonly binary: string | null; readonly valid: boolean | null };
  /** Present with --against. */
  readonly live?: { readonly source: string; readonly drift: readonly PoolDrift[]; readonly undeclaredPools: readonly string[] };
}

export const SEVERITY_RANK: Readonly<Record<FindingSeverity, number>> = { note: 0, warning: 1, error: 2 };

export function renderText(r: AuditReport): string {
  const lines: string[] = [];
  lines.push(`${r.file}: ${r.pools} pool(s), ${r.servers} server(s)`);
  lines.push(r.haproxy.valid === null ? 'haproxy -c: not run (no haproxy binary found)' : `haproxy -c: ${r.haproxy.valid ? 'configuration valid' : 'REFUSED'}`);
  if (r.findings.length === 0) lines.push('no findings');
  for (const f of r.findings) {
    lines.push(`${f.at.file}:${f.at.line}: ${f.severity} ${f.ruleId} ${f.message}`);
    lines.push(`    risk: ${f.risk}`);
    lines.push(`    fix:  ${f.fix}`);
  }
  if (r.live) {
    lines.push('', `live (${r.live.source}):`);
    const drifted = r.live.drift.filter((d) => d.level > 0);
    if (drifted.length === 0) lines.push('  every declared pool runs as declared');
    for (const d of drifted) {
      lines.push(`  ${d.pool}: ${d.level === 2 ? 'DRIFT (concentrates traffic)' : 'drift'}`);
      for (const i of d.items) lines.push(`    ${i.backend.padEnd(16)} ${i.kind.padEnd(10)} declared ${i.declared.padEnd(12)} live ${i.live}`);
    }
    for (const p of r.live.undeclaredPools) lines.push(`  ${p}: reported live, not in the declared config`);
  }
  const counts = { error: 0, warning: 0, note: 0 };
  for (const f of r.findings) counts[f.severity]++;
  lines.push('', `${counts.error} error(s), ${counts.warning} warning(s), ${counts.note} note(s)`);
  return lines.join('\n');
}
