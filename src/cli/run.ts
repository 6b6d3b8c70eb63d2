import { createLogger } from '../util/logger.js';
import { flushAndExit, startRuntime } from '../app/runtime.js';
import { endQuietlyOnClosedPipe, isEpipe } from '../util/pipes.js';
import { errorMessage } from '../util/errors.js';
import { redactText } from '../util/redact.js';
import { parseLogFormat } from '../util/log-format.js';
import { RecordingWriter } from '../replay/recording.js';
import { parse, CONFIG_OPTION, CONFIG_HELP, EXIT_OK, EXIT_ERROR, type CommandIo } from './args.js';

const HELP = `Usage: skewwatch run [--config FILE]

Runs the daemon: collects per-backend traffic on a schedule, analyses the
distribution, alerts to the configured sinks and serves /metrics, /healthz,
/readyz and /api/v1/status on the listen address.

Signals: SIGTERM/SIGINT stop scheduling, finish in-flight work, flush state
and exit 0 (a second signal exits at once). SIGHUP reloads the config; one
that is invalid or cannot be built is rejected and the running config stays.

Exits 2 at once when the state dir cannot be written or is locked by
another instance, or the listen address is in use.

Options:
${CONFIG_HELP}
      --record FILE   also write every cycle's snapshot to FILE (JSON lines) for 'skewwatch replay --recording'
  -h, --help          show this help

Environment (override the file): SKEWWATCH_PROMETHEUS_URL, SKEWWATCH_SCRAPE_URLS,
SKEWWATCH_PRESET, SKEWWATCH_MODE, SKEWWATCH_INTERVAL, SKEWWATCH_RATE_WINDOW, SKEWWATCH_CPU_QUERY,
SKEWWATCH_SLACK_WEBHOOK_URL, SKEWWATCH_PAGERDUTY_ROUTING_KEY, SKEWWATCH_PAGERDUTY_URL,
SKEWWATCH_ALERTMANAGER_URL, SKEWWATCH_STATE_DIR, SKEWWATCH_LISTEN, SKEWWATCH_LOG_LEVEL;
SKEWWATCH_CONFIG (the config file, like --config), SKEWWATCH_LOG_FORMAT (json, logfmt or pretty)`;

export async function runCommand(argv: string[], io: CommandIo): Promise<number> {
  for (const stream of [io.out, io.err]) endQuietlyOnClosedPipe(stream);
  const args = parse(argv, { ...CONFIG_OPTION, record: { type: 'string' } }, HELP, io);
  if (!args) return EXIT_OK;
  const log = createLogger({ level: io.env.SKEWWATCH_LOG_LEVEL ?? 'info', format: parseLogFormat(io.env.SKEWWATCH_LOG_FORMAT) });
  // A forgotten promise must not take the monitor down: log it and go on.
  process.on('unhandledRejection', (e: unknown) => log.error({ err: e instanceof Error ? e : new Error(String(e)) }, 'unhandled rejection (bug): skewwatch keeps running'));
  process.on('uncaughtException', (e: unknown) => {
    if (isEpipe(e)) process.exit(0); // stdout closed (| head): end quietly
    log.fatal({ err: e instanceof Error ? e : new Error(String(e)) }, 'uncaught exception (bug): exiting');
    flushAndExit(log, 1);
  });
  let recorder: RecordingWriter | null = null;
  try {
    await startRuntime({
      ...(args.values.config ? { configFile: args.values.config } : {}),
      env: io.env,
      log,
      handleSignals: true,
      ...(args.values.record ? { onStart: (c: { interval: number; namespace: string }) => { recorder = new RecordingWriter(args.values.record!, c); } } : {}),
      onCycle: (r) => recorder?.write(r.at, r.snapshot, r.error),
    });
  } catch (e) {
    // Start-up failed (port in use, state dir unusable, config that cannot
    // be built): say so and exit now. Nothing was left running, and the
    // timer makes sure of it.
    io.err.write(`skewwatch run: ${redactText(errorMessage(e))}\n`);
    setTimeout(() => process.exit(EXIT_ERROR), 500).unref();
    return EXIT_ERROR;
  }
  // Keep running until a signal stops the process.
  return new Promise<number>(() => {});
}
