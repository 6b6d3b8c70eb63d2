// skewwatch as the end-to-end suite runs it: the built CLI (`node
// dist/cli.js run`) as a child process, configured by a file and env, with
// local receivers answering as Slack and PagerDuty do.
import { writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startProcess, freePort, type ProcessHandle } from '../harness/index.js';
import { startSlackReceiver, startPagerDutyReceiver, type SlackReceiver, type PagerDutyReceiver } from '../../fakes/receivers/index.js';

const ROOT = resolve(import.meta.dirname, '../../..');
export const CLI = join(ROOT, 'dist', 'cli.js');
export const ROUTING_KEY = 'e2eR0utingKey0123456789abcdefABC';

/**
 * Rules for the suite: the shipped rules' shape with compressed waits (the
 * scenarios play an incident in about a minute; production waits minutes).
 */
export const E2E_RULES = `rules:
  - id: TrafficSkew
    when: { stat: severity, above: 0.5, resolve_below: 0.5 }
    for: 20s
    keep_firing_for: 6s
    min_rate: 1
    severity: warning
    sinks: [slack, alertmanager]
    annotations: { summary: "Traffic skew in pool {{pool}}" }
  - id: TrafficSkewCritical
    when: { stat: severity, above: 1.5, resolve_below: 0.5 }
    for: 6s
    keep_firing_for: 6s
    min_rate: 1
    severity: critical
    sinks: [pagerduty, slack, alertmanager]
    annotations: { summary: "Backend overload from traffic skew in pool {{pool}}" }
  - id: PoolDown
    when: { stat: severity, above: 1.5, resolve_below: 0.5, any_reason: [no-healthy] }
    for: 0s
    keep_firing_for: 6s
    min_rate: 0
    severity: critical
    sinks: [pagerduty, slack, alertmanager]
    annotations: { summary: "No healthy backend in pool {{pool}}" }
  - id: LoadBalancerConfigDrift
    when: { stat: config_drift, above: 0.5, resolve_below: 0.5 }
    for: 20s
    min_rate: 0
    severity: warning
    sinks: [slack, alertmanager]
    annotations: { summary: "Load balancer config drift in pool {{pool}}" }
  - id: LoadBalancerConfigDriftCritical
    name: LoadBalancerConfigDrift
    when: { stat: config_drift, above: 1.5, resolve_below: 0.5 }
    for: 4s
    keep_firing_for: 6s
    min_rate: 0
    severity: critical
    sinks: [pagerduty, slack, alertmanager]
    annotations: { summary: "Load balancer config drift concentrates traffic in pool {{pool}}" }
  - id: SkewwatchBlind
    when: { stat: blind_cycles, above: 2.5, resolve_below: 0.5 }
    severity: warning
    sinks: [slack]
inhibit_rules:
  - source_match: { severity: critical }
    target_match: { alertname: TrafficSkew }
    equal: [pool]
  - source_match: { alertname: LoadBalancerConfigDrift, severity: critical }
    target_match: { alertname: LoadBalancerConfigDrift, severity: warning }
    equal: [pool]
  - source_match: { alertname: LoadBalancerConfigDrift, severity: critical }
    target_match: { alertname: TrafficSkewCritical }
    equal: [pool]
`;

/** CPU of each backend process, labelled with HAProxy's proxy/server by the scrape config. */
const CPU_QUERY = `  queries:
    cpu: 'sum by (proxy, server) (rate(process_cpu_seconds_total{job="backends"}[{{window}}]))'
`;

export interface Skewwatch {
  readonly url: string;
  readonly proc: ProcessHandle;
  readonly slack: SlackReceiver;
  readonly pd: PagerDutyReceiver;
  readonly configFile: string;
  readonly recording: string;
  readonly env: NodeJS.ProcessEnv;
  status(): Promise<Status>;
  stop(): Promise<void>;
}

export interface Status {
  pools: Array<{ pool: string; severity: string; explanation: string; backends: Array<{ backend: string; share: number; utilisation: number | null }> }>;
  alerts: Array<{ rule: string; pool: string; state: string; firedAt: string | null; resolvedAt: string | null }>;
}

export async function startSkewwatch(o: { dir: string; prometheusUrl: string; alertmanagerUrl: string; cpu?: boolean; extra?: string }): Promise<Skewwatch> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
  mkdirSync(o.dir, { recursive: true });
  const [slack, pd, port] = await Promise.all([startSlackReceiver(), startPagerDutyReceiver({ routingKeys: [ROUTING_KEY] }), freePort()]);
  const configFile = join(o.dir, 'skewwatch.yaml');
  const recording = join(o.dir, 'recording.jsonl');
  writeFileSync(join(o.dir, 'rules.yaml'), E2E_RULES);
  writeFileSync(configFile, `namespace: e2e
interval: 2s
listen: 127.0.0.1:${port}
state_dir: ${JSON.stringify(join(o.dir, 'state'))}
rule_files: [rules.yaml]
source:
  mode: prometheus
  preset: haproxy
  rate_window: 10s
  prometheus: { url: "${o.prometheusUrl}", timeout: 1500ms }
${o.cpu === false ? '  # No CPU query: the balancer\'s own signals only (the README\'s env-only start).\n' : CPU_QUERY}sinks:
  alertmanager: { url: "${o.alertmanagerUrl}", resend_interval: 10s, resolve_timeout: 1m }
${o.extra ?? ''}`);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    SKEWWATCH_SLACK_WEBHOOK_URL: slack.url,
    SKEWWATCH_PAGERDUTY_ROUTING_KEY: ROUTING_KEY,
    SKEWWATCH_PAGERDUTY_URL: pd.url,
  };
  const url = `http://127.0.0.1:${port}`;
  const proc = await startProcess(process.execPath, [CLI, 'run', '--config', configFile, '--record', recording], {
    cwd: o.dir,
    env,
    logFile: join(o.dir, 'skewwatch.log'),
    readyCheck: async () => (await fetch(`${url}/healthz`).catch(() => null))?.ok === true,
    readyTimeoutMs: 15_000,
  });
  return {
    url, proc, slack, pd, configFile, recording, env,
    status: async () => (await (await fetch(`${url}/api/v1/status`, { signal: AbortSignal.timeout(3000) })).json()) as Status,
    stop: async () => {
      await proc.stop();
      await Promise.allSettled([slack.close(), pd.close()]);
    },
  };
}

/** Runs `node dist/cli.js <args>` and returns exit code and output. */
export async function cli(args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await promisify(execFile)(process.execPath, [CLI, ...args], { env, cwd, maxBuffer: 64 * 1024 * 1024, timeout: 120_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : 2, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}
