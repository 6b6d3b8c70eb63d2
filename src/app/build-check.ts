// Builds a config's parts without starting them, to find what validates but
// cannot be built: `validate` reports it, and reload rejects it before
// touching the running daemon.
import type { LoadedConfig } from '../config/load.js';
import { systemClock } from '../util/clock.js';
import { errorMessage } from '../util/errors.js';
import { redactText } from '../util/redact.js';
import { buildAnalysisOptions, buildNotifiers, buildSource } from './build.js';

/** One line per part that cannot be built: `source: ...`, `sinks: ...`. Empty when everything builds. */
export function buildProblems(loaded: LoadedConfig): string[] {
  const out: string[] = [];
  const attempt = (part: string, f: () => unknown) => {
    try {
      const built = f() as { close?: () => Promise<void> } | undefined;
      void built?.close?.();
    } catch (e) {
      out.push(`${part}: ${redactText(errorMessage(e))}`);
    }
  };
  attempt('source', () => buildSource(loaded.config, systemClock));
  attempt('sinks', () => { buildNotifiers(loaded.config, systemClock); });
  attempt('analysis', () => { buildAnalysisOptions(loaded.config); });
  return out;
}
