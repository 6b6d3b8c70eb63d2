import { runDemo } from '../demo/run-demo.js';
import { SCENARIOS, isScenario } from '../demo/scenarios.js';
import { parse, UsageError, EXIT_OK, EXIT_ALERTING, type CommandIo } from './args.js';

const HELP = `Usage: skewwatch demo [--scenario NAME] [--duration SECONDS] [--backends N] [--auto-fix] [--json]

Watch a SIMULATED incident get caught, with nothing else installed: a
simulated HAProxy with N backends exposes metrics on loopback, the real
skewwatch daemon watches it in scrape mode, and a local receiver prints what
Slack and PagerDuty would receive. Time is compressed: rules wait seconds,
not minutes.

Options:
      --scenario NAME   ${SCENARIOS.join(' | ')} (default weight-misconfig)
      --duration S      length of the run in seconds (default 60, at least 20)
      --backends N      number of backends (default 4, 2..50)
      --auto-fix        repair the balancer as soon as the page arrives
      --json            print only a final JSON summary (times of fault, first page, first 5xx, lead time)
  -h, --help            show this help

Exit status: 0 when the outcome is the expected one (a page before the first
5xx in a fault scenario; no page when healthy), 1 otherwise.`;

export async function demoCommand(argv: string[], io: CommandIo): Promise<number> {
  const args = parse(argv, {
    scenario: { type: 'string' }, duration: { type: 'string' }, backends: { type: 'string' },
    'auto-fix': { type: 'boolean' }, json: { type: 'boolean' },
  }, HELP, io);
  if (!args) return EXIT_OK;
  const scenario = args.values.scenario ?? 'weight-misconfig';
  if (!isScenario(scenario)) throw new UsageError(`demo: --scenario must be one of ${SCENARIOS.join(', ')}`);
  const duration = Number(args.values.duration ?? 60);
  if (!Number.isFinite(duration) || duration < 20 || duration > 3600) throw new UsageError('demo: --duration must be a number of seconds from 20 to 3600');
  const backends = Number(args.values.backends ?? 4);
  if (!Number.isInteger(backends) || backends < 2 || backends > 50) throw new UsageError('demo: --backends must be a whole number from 2 to 50');
  const summary = await runDemo({ scenario, durationSeconds: duration, backends, autoFix: args.values['auto-fix'] ?? false, json: args.values.json ?? false, out: io.out, env: io.env });
  return summary.ok ? EXIT_OK : EXIT_ALERTING;
}
