// Silences written by `skewwatch silence` into the state dir, read by the
// daemon every cycle. A separate file from state.json so that the CLI and the
// daemon never write the same file.
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Silence } from '../core/alerting/rule-match.js';
import type { SilenceConfig } from '../config/schema.js';
import { SkewwatchError } from '../util/errors.js';
import { writeFileAtomic } from './atomic.js';

export function silencesPath(stateDir: string): string {
  return join(stateDir, 'silences.json');
}

export function readSilenceFile(stateDir: string): Silence[] {
  const path = silencesPath(stateDir);
  if (!existsSync(path)) return [];
  try {
    const data = JSON.parse(readFileSync(path, 'utf8')) as { silences?: Silence[] };
    return Array.isArray(data.silences) ? data.silences.filter((s) => typeof s.endsAt === 'number' && typeof s.id === 'string') : [];
  } catch (e) {
    throw new SkewwatchError('state', `cannot read ${path}: ${(e as Error).message}`);
  }
}

export function writeSilenceFile(stateDir: string, silences: readonly Silence[]): void {
  writeFileAtomic(silencesPath(stateDir), `${JSON.stringify({ silences }, null, 2)}\n`);
}

export function addSilence(stateDir: string, s: Omit<Silence, 'id'>, now: number): Silence {
  const silence: Silence = { id: randomUUID(), ...s };
  // Expired silences are pruned whenever the file is written.
  const kept = readSilenceFile(stateDir).filter((x) => x.endsAt > now);
  writeSilenceFile(stateDir, [...kept, silence]);
  return silence;
}

export function expireSilence(stateDir: string, id: string, now: number): boolean {
  const all = readSilenceFile(stateDir);
  const found = all.some((s) => s.id === id && s.endsAt > now);
  writeSilenceFile(stateDir, all.map((s) => (s.id === id ? { ...s, endsAt: Math.min(s.endsAt, now) } : s)).filter((s) => s.endsAt > now - 86_400_000));
  return found;
}

export function silencesFromConfig(list: readonly SilenceConfig[]): Silence[] {
  return list.map((s, i) => ({
    id: s.id ?? `config-${i}`,
    ...(s.matchers.pool !== undefined ? { pool: s.matchers.pool } : {}),
    ...(s.matchers.rule !== undefined ? { rule: s.matchers.rule } : {}),
    startsAt: s.starts_at ? Date.parse(s.starts_at) : 0,
    endsAt: Date.parse(s.ends_at),
    comment: s.comment,
    createdBy: s.created_by,
  }));
}
