// Recordings: the snapshots of a live run, one JSON line each, so an
// incident can be shared, replayed offline and kept as a regression test.
//   line 1: {"skewwatch":"recording","version":1,"interval":15000,"namespace":"default"}
//   then:   {"at":...,"pools":[...]}   or   {"at":...,"error":"..."} for a failed cycle
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import type { Snapshot } from '../core/types.js';
import { SkewwatchError } from '../util/errors.js';

export interface RecordingHeader {
  readonly skewwatch: 'recording';
  readonly version: 1;
  readonly interval: number;
  readonly namespace: string;
}

export type RecordedCycle = { readonly at: number; readonly snapshot: Snapshot } | { readonly at: number; readonly error: string };

export class RecordingWriter {
  constructor(private readonly path: string, header: Omit<RecordingHeader, 'skewwatch' | 'version'>) {
    const h: RecordingHeader = { skewwatch: 'recording', version: 1, ...header };
    writeFileSync(path, `${JSON.stringify(h)}\n`);
  }

  write(at: number, snapshot: Snapshot | null, error: string | null): void {
    const line = snapshot ? { at, pools: snapshot.pools } : { at, error: error ?? 'source failed' };
    appendFileSync(this.path, `${JSON.stringify(line)}\n`);
  }
}

export function readRecording(path: string): { header: RecordingHeader; cycles: RecordedCycle[] } {
  const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l.trim() !== '');
  const bad = (n: number, why: string) => new SkewwatchError('parse', `${path}:${n}: ${why}`);
  if (lines.length === 0) throw bad(1, 'empty file: not a skewwatch recording');
  let header: RecordingHeader;
  try {
    header = JSON.parse(lines[0]!) as RecordingHeader;
  } catch {
    throw bad(1, 'the first line is not JSON: not a skewwatch recording');
  }
  if (header.skewwatch !== 'recording' || header.version !== 1) throw bad(1, 'expected a header {"skewwatch":"recording","version":1,...}');
  const cycles: RecordedCycle[] = [];
  for (let i = 1; i < lines.length; i++) {
    let row: { at?: unknown; pools?: unknown; error?: unknown };
    try {
      row = JSON.parse(lines[i]!);
    } catch {
      throw bad(i + 1, 'not JSON');
    }
    if (typeof row.at !== 'number') throw bad(i + 1, 'missing "at" (epoch ms)');
    if (Array.isArray(row.pools)) cycles.push({ at: row.at, snapshot: { at: row.at, pools: row.pools as Snapshot['pools'] } });
    else if (typeof row.error === 'string') cycles.push({ at: row.at, error: row.error });
    else throw bad(i + 1, 'expected "pools" or "error"');
  }
  return { header, cycles };
}
