import { loadConfig } from '../config/load.js';
import { buildSource } from '../app/build.js';
import { IntervalScheduler } from '../app/scheduler.js';
import { RecordingWriter } from '../replay/recording.js';
import { parseDuration } from '../config/units.js';
import { systemClock } from '../util/clock.js';
import { errorMessage } from '../util/errors.js';
import { redactText } from '../util/redact.js';
import { parse, UsageError, CONFIG_HELP, EXIT_OK, type CommandIo } from './args.js';

const HELP = `Usage: skewwatch record [--config FILE] --out FILE [--duration D]

Collects on the config's schedule and writes every snapshot (or failed cycle)
to FILE as JSON lines, without alerting. Replay it with
'skewwatch replay --recording FILE'. ('skewwatch run --record FILE' records
while alerting.)

Options:
${CONFIG_HELP}
      --out FILE        where to write the recording
      --duration D      stop after this long (default: until SIGINT/SIGTERM)
  -h, --help            show this help`;

export async function recordCommand(argv: string[], io: CommandIo): Promise<number> {
  const args = parse(argv, { config: { type: 'string', short: 'c' }, out: { type: 'string' }, duration: { type: 'string' } }, HELP, io);
  if (!args) return EXIT_OK;
  const v = args.values;
  if (!v.out) throw new UsageError(`record: --out is required\n\n${HELP}`);
  const durationMs = v.duration ? parseDuration(v.duration) : null;
  if (v.duration && !durationMs) throw new UsageError('record: --duration must be a duration such as 10m');
  const { config } = loadConfig({ ...(v.config ? { file: v.config } : {}), env: io.env });
  const source = buildSource(config, systemClock);
  const writer = new RecordingWriter(v.out, { interval: config.interval, namespace: config.namespace });
  let cycles = 0;
  const scheduler = new IntervalScheduler(config.interval, async (at) => {
    try {
      writer.write(at, await source.collect(at, AbortSignal.timeout(config.evaluation_timeout ?? Math.round(config.interval * 0.8))), null);
    } catch (e) {
      writer.write(at, null, redactText(errorMessage(e)));
    }
    cycles++;
  }, systemClock);
  scheduler.start();
  await new Promise<void>((resolve) => {
    const done = () => resolve();
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
    if (durationMs) setTimeout(done, durationMs).unref();
  });
  await scheduler.stop(config.interval);
  await source.close?.();
  io.err.write(`recorded ${cycles} cycles to ${v.out}\n`);
  return EXIT_OK;
}
