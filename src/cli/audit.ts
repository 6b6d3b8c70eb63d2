import { readFileSync } from 'node:fs';
import { loadConfig } from '../config/load.js';
import { buildSource } from '../app/build.js';
import { compareDeclared } from '../core/declared/drift.js';
import type { Snapshot } from '../core/types.js';
import { parseHaproxyConfig } from '../declared/haproxy-config.js';
import { lintDeclared } from '../audit/lint.js';
import { runHaproxyCheck } from '../audit/haproxy-check.js';
import { renderText, SEVERITY_RANK, type AuditReport } from '../audit/report.js';
import { toSarif } from '../audit/sarif.js';
import { systemClock } from '../util/clock.js';
import { errorMessage, UsageError } from '../util/errors.js';
import { redactText } from '../util/redact.js';
import { packageVersion } from '../util/version.js';
import { parse, EXIT_OK, EXIT_ALERTING, EXIT_ERROR, type CommandIo } from './args.js';

const HELP = `Usage: skewwatch audit --haproxy-config FILE [--against URL] [--format text|json|sarif] [--fail-on note|warning|error]

Lints a load balancer config for the settings behind traffic pile-ups
(weights that put most of a pool on one server, hash balancing without
consistent hashing, servers without health checks or maxconn, ...), each
finding with a rule id, file, line, what it risks and how to fix it. Runs
'haproxy -c -f FILE' too when the haproxy binary exists.

With --against it also compares the config with what the balancer runs now:
a Prometheus URL (HAProxy's exporter scraped there), or the balancer's own
metrics URL (a path ending in /metrics, scraped twice one second apart).

Exit status: 0 no finding at or above --fail-on (and no drift with
--against), 1 findings or drift, 2 error (unreadable file, source failed).

Options:
      --haproxy-config FILE  the HAProxy config (default: $SKEWWATCH_HAPROXY_CONFIG)
      --against URL          also diff against the running balancer
      --format F             text (default), json, or sarif (SARIF 2.1.0)
      --fail-on S            lowest severity that fails: note, warning (default), error
      --no-haproxy-check     do not run haproxy -c
  -h, --help                 show this help`;

const FORMATS = ['text', 'json', 'sarif'] as const;
const SEVERITIES = ['note', 'warning', 'error'] as const;

export async function auditCommand(argv: string[], io: CommandIo): Promise<number> {
  const args = parse(argv, {
    'haproxy-config': { type: 'string' },
    against: { type: 'string' },
    format: { type: 'string' },
    'fail-on': { type: 'string' },
    'no-haproxy-check': { type: 'boolean' },
  }, HELP, io);
  if (!args) return EXIT_OK;
  const file = args.values['haproxy-config'] ?? io.env.SKEWWATCH_HAPROXY_CONFIG;
  if (!file) throw new UsageError(`audit: --haproxy-config FILE is required (or set SKEWWATCH_HAPROXY_CONFIG)\n\n${HELP}`);
  const format = args.values.format ?? 'text';
  if (!(FORMATS as readonly string[]).includes(format)) throw new UsageError(`audit: --format must be one of ${FORMATS.join(', ')}, got ${JSON.stringify(format)}`);
  const failOn = args.values['fail-on'] ?? 'warning';
  if (!(SEVERITIES as readonly string[]).includes(failOn)) throw new UsageError(`audit: --fail-on must be one of ${SEVERITIES.join(', ')}, got ${JSON.stringify(failOn)}`);

  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    io.err.write(`skewwatch audit: cannot read ${file}: ${errorMessage(e)}\n`);
    return EXIT_ERROR;
  }
  const declared = parseHaproxyConfig(text, file);
  const haproxy = args.values['no-haproxy-check'] ? { binary: null, valid: null, findings: [] } : runHaproxyCheck(file, io.env);
  const findings = [...lintDeclared(declared), ...haproxy.findings];

  let live: AuditReport['live'];
  if (args.values.against) {
    try {
      live = await liveDiff(args.values.against, declared);
    } catch (e) {
      io.err.write(`skewwatch audit: --against ${redactText(args.values.against)}: ${redactText(errorMessage(e))}\n`);
      return EXIT_ERROR;
    }
  }
  const report: AuditReport = {
    file,
    pools: declared.pools.length,
    servers: declared.pools.reduce((a, p) => a + p.servers.length, 0),
    findings,
    haproxy: { binary: haproxy.binary, valid: haproxy.valid },
    ...(live ? { live } : {}),
  };
  if (format === 'sarif') io.out.write(`${JSON.stringify(toSarif(findings, packageVersion()), null, 2)}\n`);
  else if (format === 'json') io.out.write(`${JSON.stringify(report, null, 2)}\n`);
  else io.out.write(`${renderText(report)}\n`);

  const threshold = SEVERITY_RANK[failOn as keyof typeof SEVERITY_RANK];
  const failing = findings.some((f) => SEVERITY_RANK[f.severity] >= threshold);
  const drifted = live?.drift.some((d) => d.level > 0) ?? false;
  return failing || drifted ? EXIT_ALERTING : EXIT_OK;
}

async function liveDiff(url: string, declared: ReturnType<typeof parseHaproxyConfig>): Promise<NonNullable<AuditReport['live']>> {
  const scrape = /\/metrics\/?$/.test(new URL(url).pathname);
  const env: NodeJS.ProcessEnv = {
    SKEWWATCH_PRESET: 'haproxy',
    ...(scrape ? { SKEWWATCH_SCRAPE_URLS: url, SKEWWATCH_INTERVAL: '1s' } : { SKEWWATCH_PROMETHEUS_URL: url }),
  };
  const { config } = loadConfig({ env });
  const source = buildSource(config, systemClock);
  let snapshot: Snapshot;
  try {
    snapshot = await source.collect(systemClock.now(), AbortSignal.timeout(30_000));
    if (scrape) {
      await systemClock.sleep(1_000); // rates (and so pools) need two scrapes
      snapshot = await source.collect(systemClock.now(), AbortSignal.timeout(30_000));
    }
  } finally {
    await source.close?.();
  }
  const byName = new Map(declared.pools.map((p) => [p.pool, p]));
  const drift = [];
  const undeclaredPools: string[] = [];
  for (const sample of snapshot.pools) {
    const d = byName.get(sample.labels.proxy ?? sample.pool);
    if (d) drift.push(compareDeclared(d, sample));
    else undeclaredPools.push(sample.pool);
  }
  return { source: scrape ? `scrape ${redactText(url)}` : `prometheus ${redactText(url)}`, drift, undeclaredPools };
}
