import { createLogger } from '../util/logger.js';
import { parseLogFormat } from '../util/log-format.js';
import { startRuntime } from '../app/runtime.js';
import { RecordingWriter } from '../replay/recording.js';
import { parse, CONFIG_OPTION, CONFIG_HELP, EXIT_OK, type CommandIo } from './args.js';

const HELP = `Usage: skewwatch run [--config FILE]

Runs the daemon: collects per-backend traffic on a schedule, analyses the
distribution, alerts to the configured sinks and serves /metrics, /healthz,
/readyz and /api/v1/status on the listen address.

Signals: SIGTERM/SIGINT stop scheduling, finish in-flight work, flush state
and exit 0. SIGHUP reloads the config; an invalid one is rejected and the
running config stays.

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
  const args = parse(argv, { ...CONFIG_OPTION, record: { type: 'string' } }, HELP, io);
  if (!args) return EXIT_OK;
  const log = createLogger({ level: io.env.SKEWWATCH_LOG_LEVEL ?? 'info', format: parseLogFormat(io.env.SKEWWATCH_LOG_FORMAT) });
  let recorder: RecordingWriter | null = null;
  await startRuntime({
    ...(args.values.config ? { configFile: args.values.config } : {}),
    env: io.env,
    log,
    handleSignals: true,
    ...(args.values.record ? { onStart: (c: { interval: number; namespace: string }) => { recorder = new RecordingWriter(args.values.record!, c); } } : {}),
    onCycle: (r) => recorder?.write(r.at, r.snapshot, r.error),
  });
  // Keep running until a signal stops the process.
  return new Promise<number>(() => {});
}
