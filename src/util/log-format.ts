// Line formats for people: pino writes one JSON object per line (epoch-ms
// `time`, for machines); logfmt and pretty re-render each line with an ISO
// 8601 time, for a terminal or a grep. Tiny on purpose: no pino-pretty
// dependency (its worker transport would be one more thing to ship).
import { UsageError } from './errors.js';

export const LOG_FORMATS = ['json', 'logfmt', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export function parseLogFormat(value: string | undefined): LogFormat {
  if (value === undefined || value === '') return 'json';
  if ((LOG_FORMATS as readonly string[]).includes(value)) return value as LogFormat;
  throw new UsageError(`SKEWWATCH_LOG_FORMAT: expected one of ${LOG_FORMATS.join(', ')}, got ${JSON.stringify(value)}`);
}

type Fields = Record<string, unknown>;

/** Nested objects as dotted keys: { err: { message } } -> err.message. */
function flatten(obj: Fields, prefix = '', out: Array<[string, unknown]> = []): Array<[string, unknown]> {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) flatten(v as Fields, key, out);
    else out.push([key, v]);
  }
  return out;
}

/** logfmt value: bare when it has no space, quote, = or control character; else a JSON string. */
function logfmtValue(v: unknown): string {
  const s = typeof v === 'string' ? v : v === undefined ? '' : JSON.stringify(v);
  return s !== '' && /^[^\s"=\\\u0000-\u001f]+$/.test(s) ? s : JSON.stringify(s);
}

const isoTime = (t: unknown) => (typeof t === 'number' ? new Date(t).toISOString() : String(t ?? ''));

function split(line: string): { time: string; level: string; msg: string; rest: Array<[string, unknown]> } | null {
  let rec: Fields;
  try {
    rec = JSON.parse(line) as Fields;
  } catch {
    return null;
  }
  const { time, level, msg, pid: _pid, hostname: _host, ...rest } = rec;
  return { time: isoTime(time), level: String(level ?? ''), msg: typeof msg === 'string' ? msg : '', rest: flatten(rest) };
}

/** One pino JSON line -> one line in `format` (a line that is not JSON passes through). */
export function formatLogLine(line: string, format: LogFormat): string {
  if (format === 'json') return line;
  const r = split(line.trimEnd());
  if (!r) return line;
  if (format === 'logfmt') {
    const pairs: Array<[string, unknown]> = [['time', r.time], ['level', r.level], ['msg', r.msg], ...r.rest];
    return `${pairs.map(([k, v]) => `${k}=${logfmtValue(v)}`).join(' ')}\n`;
  }
  const extra = r.rest.filter(([k]) => k !== 'name').map(([k, v]) => `${k}=${logfmtValue(v)}`).join(' ');
  return `${r.time} ${r.level.toUpperCase().padEnd(5)} ${r.msg}${extra ? `  ${extra}` : ''}\n`;
}
