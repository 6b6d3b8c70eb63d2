// `skewwatch print-receiver`: the demo's local stand-in for Slack and
// PagerDuty as a process of its own, for the compose lab (and any test bed):
// it answers as the services document and prints every message it gets.
import { startPrintReceiver } from '../demo/print-receiver.js';
import { parse, UsageError, EXIT_OK, type CommandIo } from './args.js';

const HELP = `Usage: skewwatch print-receiver [--listen HOST:PORT]

A local receiver that answers like Slack (POST /slack) and PagerDuty Events
API v2 (POST /pagerduty/v2/enqueue) and prints what each would have shown.
Point sinks.slack.webhook_url and sinks.pagerduty.url (or Alertmanager's
slack_configs and pagerduty_configs) at it. Nothing leaves the machine.
Runs until SIGTERM or SIGINT.

Options:
      --listen HOST:PORT  where to listen (default 127.0.0.1:9099)
  -h, --help              show this help`;

export function parseListen(value: string): { host: string; port: number } {
  const m = /^(.*):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[2]) : NaN;
  if (!m || !m[1] || port > 65535) throw new UsageError(`print-receiver: --listen: expected HOST:PORT, e.g. 0.0.0.0:9099, got ${JSON.stringify(value)}`);
  return { host: m[1].replace(/^\[(.*)\]$/, '$1'), port };
}

export async function printReceiverCommand(argv: string[], io: CommandIo, signals: NodeJS.EventEmitter = process): Promise<number> {
  const args = parse(argv, { listen: { type: 'string' } }, HELP, io);
  if (!args) return EXIT_OK;
  const { host, port } = parseListen(args.values.listen ?? '127.0.0.1:9099');
  const receiver = await startPrintReceiver({ host, port, out: io.out });
  io.err.write(`print-receiver listening on ${host}:${receiver.port} (Slack: /slack, PagerDuty: /pagerduty/v2/enqueue)\n`);
  await new Promise<void>((resolve) => {
    signals.once('SIGTERM', resolve);
    signals.once('SIGINT', resolve);
  });
  await receiver.close();
  return EXIT_OK;
}
