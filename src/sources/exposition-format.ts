// Serialise families back to text (0.0.4 or OpenMetrics). Used by tests (the
// parser's round-trip property) and by fakes that play an exporter.

import type { ExpositionFormat, Family } from '../signals/exposition-types.js';

export function formatSampleValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (Object.is(v, -0)) return '-0';
  return String(v);
}

export function escapeLabelValue(v: string): string {
  let out = '';
  for (const c of v) {
    if (c === '\\') out += '\\\\';
    else if (c === '"') out += '\\"';
    else if (c === '\n') out += '\\n';
    else out += c;
  }
  return out;
}

function escapeHelp(v: string, om: boolean): string {
  let out = '';
  for (const c of v) {
    if (c === '\\') out += '\\\\';
    else if (c === '\n') out += '\\n';
    else if (c === '"' && om) out += '\\"';
    else out += c;
  }
  return out;
}

export function formatExposition(families: readonly Family[], format: ExpositionFormat = 'prometheus'): string {
  const om = format === 'openmetrics';
  const lines: string[] = [];
  for (const f of families) {
    if (f.help !== undefined) lines.push(`# HELP ${f.name}${f.help === '' ? '' : ' ' + escapeHelp(f.help, om)}`);
    if (f.type !== 'untyped' && f.type !== 'unknown') lines.push(`# TYPE ${f.name} ${f.type}`);
    if (om && f.unit !== undefined) lines.push(`# UNIT ${f.name} ${f.unit}`);
    for (const s of f.samples) {
      const keys = Object.keys(s.labels);
      const labels =
        keys.length === 0 ? '' : `{${keys.map((k) => `${k}="${escapeLabelValue(s.labels[k]!)}"`).join(',')}}`;
      let line = `${s.name}${labels} ${formatSampleValue(s.value)}`;
      if (s.timestampMs !== undefined) line += ' ' + (om ? String(s.timestampMs / 1000) : String(s.timestampMs));
      lines.push(line);
    }
  }
  if (om) lines.push('# EOF');
  return lines.join('\n') + '\n';
}
