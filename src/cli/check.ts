import { loadConfig } from '../config/load.js';
import { buildAnalysisOptions, buildEvaluatorContext, buildSource } from '../app/build.js';
import { analyseSnapshot } from '../core/analysis/analyse.js';
import { evaluateCycle, INITIAL_EVALUATOR_STATE } from '../core/alerting/evaluator.js';
import type { Snapshot } from '../core/types.js';
import { systemClock } from '../util/clock.js';
import { errorMessage } from '../util/errors.js';
import { redactText } from '../util/redact.js';
import { endQuietlyOnClosedPipe } from '../util/pipes.js';
import { parse, CONFIG_OPTION, CONFIG_HELP, EXIT_OK, EXIT_ALERTING, EXIT_ERROR, type CommandIo } from './args.js';
import { renderVerdicts, renderBackends } from './table.js';
import { describeChange, restoreChangeLog, trackChanges } from '../core/changes/changes.js';
import { addBalancerContext } from '../core/declared/context.js';
import { DeclaredLoader } from '../declared/load.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The running daemon's change log from its state file (read only; absent or unreadable: none). */
function readDaemonChangeLog(stateDir: string): unknown {
  try {
    return (JSON.parse(readFileSync(join(stateDir, 'state.json'), 'utf8')) as { balancer?: { changes?: unknown } }).balancer?.changes;
  } catch {
    return undefined;
  }
}

const HELP = `Usage: skewwatch check [--config FILE] [--json] [--backends]

Collects once and evaluates every pool now. Rules are applied without their
'for' duration (this is a single look), so ALERTING means "a rule's condition
holds right now". For cron jobs and CI pipelines.

Exit status: 0 balanced, 1 something alerting, 2 error (config or source,
a configured signal that fails or joins no backend, or no pools found).
In scrape mode two scrapes one interval apart are needed to compute rates.

Options:
${CONFIG_HELP}
      --json          print JSON (verdicts, alerting rules) instead of a table
      --backends      also print the per-backend table of each pool
  -h, --help          show this help`;

export async function checkCommand(argv: string[], io: CommandIo): Promise<number> {
  endQuietlyOnClosedPipe(io.out);
  const args = parse(argv, { ...CONFIG_OPTION, json: { type: 'boolean' }, backends: { type: 'boolean' } }, HELP, io);
  if (!args) return EXIT_OK;
  const loaded = loadConfig({ ...(args.values.config ? { file: args.values.config } : {}), env: io.env });
  const { config } = loaded;
  for (const w of loaded.warnings) io.err.write(`warning: ${w}\n`);
  const source = buildSource(config, systemClock);
  let snapshot: Snapshot;
  let first: Snapshot | null = null;
  try {
    snapshot = await source.collect(systemClock.now(), AbortSignal.timeout(config.evaluation_timeout ?? 30_000));
    if (config.source.mode === 'scrape') {
      first = snapshot;
      // Rates need two scrapes.
      await systemClock.sleep(Math.min(config.interval, 15_000));
      snapshot = await source.collect(systemClock.now(), AbortSignal.timeout(config.evaluation_timeout ?? 30_000));
    }
  } catch (e) {
    io.err.write(`skewwatch check: source failed: ${redactText(errorMessage(e))}\n`);
    return EXIT_ERROR;
  } finally {
    await source.close?.();
  }
  // Blind spots are errors: a check that cannot see must not say "balanced".
  const missing = snapshot.missingSignals ?? [];
  for (const m of missing) io.err.write(`skewwatch check: signal missing: ${m.configKey} (${m.signal}): ${redactText(m.reason)}\n`);
  if (snapshot.pools.length === 0) {
    io.err.write('skewwatch check: no pools found: the rate query matched nothing usable; check source.matchers, source.preset and the pool/backend labels\n');
    return EXIT_ERROR;
  }
  const analysed = analyseSnapshot(snapshot, new Map(), buildAnalysisOptions(config)).verdicts;
  // The balancer's side: recent changes (the running daemon's change log in
  // the state dir, if there is one, plus what this look saw) and, with a
  // declaration, declared vs running.
  let changeLog = restoreChangeLog(readDaemonChangeLog(config.state_dir));
  for (const s of first ? [first, snapshot] : [snapshot]) changeLog = trackChanges(changeLog, s).log;
  const declared = new DeclaredLoader(config.declared, loaded.baseDir ?? process.cwd(), loaded.files[0]).load();
  for (const p of declared.problems) io.err.write(`warning: declared config ${p.at.file}:${p.at.line}: ${p.message}\n`);
  const verdicts = addBalancerContext(analysed, snapshot, {
    declared: declared.pools, overrides: declared.overrides, changeLog,
    lookbackMs: config.declared.change_lookback, drift: { concentrationFactor: config.declared.concentration_factor },
  });
  // A single look: drop `for` and `keep_firing_for` so a holding condition shows as alerting.
  const rules = loaded.rules.map((r) => ({ ...r, for: 0, keep_firing_for: 0, overrides: r.overrides.map((o) => ({ ...o, for: 0 })) }));
  const ctx = { ...buildEvaluatorContext({ ...loaded, rules }, []), availableSinks: new Set<string>() };
  const { state } = evaluateCycle(INITIAL_EVALUATOR_STATE, { now: snapshot.at, verdicts, silences: [] }, ctx);
  const alerting = new Map<string, string[]>();
  for (const a of Object.values(state.alerts)) {
    if (a.state.phase !== 'firing') continue;
    alerting.set(a.pool, [...(alerting.get(a.pool) ?? []), a.ruleId]);
  }
  if (args.values.json) {
    io.out.write(`${JSON.stringify({ at: new Date(snapshot.at).toISOString(), alerting: Object.fromEntries(alerting), missingSignals: missing, pools: verdicts }, null, 2)}\n`);
  } else {
    io.out.write(`${renderVerdicts(verdicts, alerting)}\n`);
    for (const v of verdicts) {
      if (v.drift && v.drift.level > 0) io.out.write(`${v.pool}: ${v.drift.explanation}\n`);
      for (const c of v.changes ?? []) io.out.write(`${v.pool}: changed: ${describeChange(c, snapshot.at)}\n`);
    }
    if (args.values.backends) for (const v of verdicts) io.out.write(`\n${v.pool}\n${renderBackends(v)}\n`);
  }
  if (missing.length > 0) return EXIT_ERROR;
  return alerting.size > 0 ? EXIT_ALERTING : EXIT_OK;
}
