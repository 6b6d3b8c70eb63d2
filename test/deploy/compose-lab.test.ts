// The compose lab, checked without a Docker engine: `docker-compose config`,
// every mounted file present, images pinned, the real `haproxy -c`,
// `promtool check config` (with the container paths mapped to the mounted
// files) and `check rules`, `amtool check-config`, Grafana's provisioning,
// skewwatch's environment through the real config loader, and that every
// address one service uses names another service and a port it listens on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import { ROOT, run, tool } from './tools.js';

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: Array<{ target: number; published?: number }>;
}

let cached: Record<string, Service> | undefined;
function services(t: Parameters<typeof tool>[0]): Record<string, Service> | undefined {
  const bin = tool(t, 'docker-compose');
  if (!bin) return undefined;
  if (!cached) {
    const r = run(bin, ['-f', 'docker-compose.yml', 'config']);
    assert.equal(r.status, 0, `docker-compose config: ${r.stderr}`);
    cached = (parseYaml(r.stdout) as { services: Record<string, Service> }).services;
  }
  return cached;
}

/** Bind mounts as [host path, container path]. */
function mounts(s: Service): Array<[string, string]> {
  return (s.volumes ?? []).flatMap((v) => {
    const [src, dst] = v.split(':');
    return src?.startsWith('/') && dst ? [[src, dst] as [string, string]] : [];
  });
}

/** The host file behind a path inside a service's container (through its bind mounts). */
function hostPath(s: Service, containerPath: string): string | undefined {
  for (const [src, dst] of mounts(s)) {
    if (containerPath === dst) return src;
    if (containerPath.startsWith(`${dst}/`)) return join(src, containerPath.slice(dst.length + 1));
  }
  return undefined;
}

const HAPROXY_CFG = readFileSync(join(ROOT, 'deploy/haproxy.cfg'), 'utf8');

/** Ports a service listens on inside the network, from its own configuration. */
function listening(name: string, s: Service): Set<number> {
  const ports = new Set((s.ports ?? []).map((p) => p.target));
  const listen = s.environment?.SKEWWATCH_LISTEN ?? (s.command?.includes('print-receiver') ? s.command[s.command.indexOf('--listen') + 1] : undefined);
  if (listen) ports.add(Number(listen.split(':').pop()));
  if (name === 'haproxy') for (const m of HAPROXY_CFG.matchAll(/^\s*(?:bind|stats socket ipv4@)[^:\n]*:(\d+)/gm)) ports.add(Number(m[1]));
  if (s.command?.includes('/lab/app.mjs')) ports.add(Number(s.environment?.PORT ?? /process\.env\.PORT \?\? (\d+)/.exec(readFileSync(join(ROOT, 'deploy/lab/app.mjs'), 'utf8'))![1]));
  if (s.image?.startsWith('prom/alertmanager')) ports.add(9093);
  if (s.image?.startsWith('prom/prometheus')) ports.add(9090);
  return ports;
}

/** Asserts that host:port names a compose service that listens on that port. */
function assertReachable(all: Record<string, Service>, hostPort: string, what: string): void {
  const m = /^(?:https?:\/\/)?([^:/]+):(\d+)/.exec(hostPort);
  assert.ok(m, `${what}: ${hostPort} has a host and a port`);
  const [, host, port] = m;
  assert.ok(all[host!], `${what}: ${host} is a compose service`);
  assert.ok(listening(host!, all[host!]!).has(Number(port)), `${what}: ${host} listens on ${port} (it listens on ${[...listening(host!, all[host!]!)].join(', ')})`);
}

test('docker-compose config accepts the file; every bind mount exists; every image is pinned', (t) => {
  const all = services(t);
  if (!all) return;
  for (const want of ['haproxy', 'app1', 'app2', 'app3', 'loadgen', 'prometheus', 'alertmanager', 'receiver', 'skewwatch', 'grafana']) assert.ok(all[want], `service ${want}`);
  for (const [name, s] of Object.entries(all)) {
    for (const [src] of mounts(s)) assert.ok(existsSync(src), `${name} mounts ${relative(ROOT, src)}, which exists`);
    if (!s.build) assert.match(s.image ?? '', /^[\w./-]+(:v?\d+(\.\d+)+[\w.-]*|@sha256:[0-9a-f]{64})$/, `${name}: image by exact tag or digest`);
  }
});

test('haproxy -c accepts the lab config; the admin socket is where the haproxy user can write', (t) => {
  const bin = tool(t, 'haproxy');
  if (!bin) return;
  const r = run(bin, ['-c', '-f', 'deploy/haproxy.cfg']);
  assert.equal(r.status, 0, r.stderr);
  // Only the names of the other containers may be unknown here.
  const warnings = r.stderr.split('\n').filter((l) => /WARNING|ALERT/.test(l));
  for (const w of warnings) assert.match(w, /could not resolve address 'app\d'/);
  const socket = /stats socket (\/\S+)/.exec(HAPROXY_CFG)?.[1];
  assert.match(socket ?? '', /^\/(var\/lib\/haproxy|tmp)\//, 'the image runs as user haproxy, which owns /var/lib/haproxy (not /var/run)');
  assert.match(HAPROXY_CFG, /default-server[^\n]*init-addr last,libc,none/);
});

test('promtool checks the Prometheus config with its mounted rule files, and the rules', (t) => {
  const all = services(t);
  const promtool = tool(t, 'promtool');
  if (!all || !promtool) return;
  const prom = all.prometheus!;
  const configPath = /--config\.file=(\S+)/.exec(prom.command!.join(' '))![1]!;
  const host = hostPath(prom, configPath);
  assert.ok(host, `${configPath} is mounted`);
  let text = readFileSync(host, 'utf8');
  const config = parseYaml(text) as { rule_files: string[] };
  assert.ok(config.rule_files.length > 0, 'rules loaded');
  for (const rf of config.rule_files) {
    const file = hostPath(prom, rf);
    assert.ok(file && existsSync(file), `${rf} is mounted from an existing file`);
    text = text.replaceAll(rf, file);
    const rules = run(promtool, ['check', 'rules', file]);
    assert.equal(rules.status, 0, rules.stdout + rules.stderr);
  }
  const dir = mkdtempSync(join(tmpdir(), 'skewwatch-lab-'));
  writeFileSync(join(dir, 'prometheus.yml'), text);
  const r = run(promtool, ['check', 'config', join(dir, 'prometheus.yml')]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /SUCCESS: 1 rule files found|SUCCESS/);
});

test("Prometheus scrapes HAProxy, every backend and skewwatch at addresses the services listen on, and sends to Alertmanager", (t) => {
  const all = services(t);
  if (!all) return;
  const config = parseYaml(readFileSync(join(ROOT, 'deploy/prometheus.yml'), 'utf8')) as {
    scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[]; labels?: Record<string, string> }> }>;
    alerting: { alertmanagers: Array<{ static_configs: Array<{ targets: string[] }> }> };
  };
  const jobs = new Map(config.scrape_configs.map((j) => [j.job_name, j]));
  for (const job of ['haproxy', 'app', 'skewwatch']) assert.ok(jobs.has(job), `job ${job}`);
  for (const j of config.scrape_configs) for (const sc of j.static_configs) for (const target of sc.targets) assertReachable(all, target, `job ${j.job_name}`);
  for (const am of config.alerting.alertmanagers) for (const sc of am.static_configs) for (const target of sc.targets) {
    assertReachable(all, target, 'alerting');
    assert.match(all[target.split(':')[0]!]!.image ?? '', /alertmanager/);
  }
  // The CPU series join HAProxy's: each HAProxy server's address is an app
  // target labelled with that server's proxy and name.
  const appTargets = jobs.get('app')!.static_configs.flatMap((sc) => sc.targets.map((target) => ({ target, labels: sc.labels ?? {} })));
  let backend = '';
  let servers = 0;
  for (const line of HAPROXY_CFG.split('\n')) {
    const b = /^backend (\S+)/.exec(line);
    if (b) backend = b[1]!;
    const s = /^\s*server (\S+) (\S+)/.exec(line);
    if (!s) continue;
    servers++;
    const match = appTargets.find((a) => a.target === s[2]);
    assert.ok(match, `HAProxy server ${backend}/${s[1]} (${s[2]}) is scraped by job app`);
    assert.deepEqual(match.labels, { proxy: backend, server: s[1] }, `${s[2]} carries HAProxy's proxy/server labels`);
  }
  assert.ok(servers >= 3, 'three or more backends');
});

test("skewwatch's environment is a valid config with the CPU query, and its sinks reach the receiver and Alertmanager", async (t) => {
  const all = services(t);
  const promtool = tool(t, 'promtool');
  if (!all || !promtool) return;
  const env = all.skewwatch!.environment!;
  const { config, rules } = loadConfig({ env });
  assert.equal(config.source.mode, 'prometheus');
  assert.ok(config.source.queries?.cpu, 'SKEWWATCH_CPU_QUERY set');
  assertReachable(all, config.source.prometheus!.url, 'SKEWWATCH_PROMETHEUS_URL');
  assertReachable(all, config.sinks.alertmanager!.url, 'SKEWWATCH_ALERTMANAGER_URL');
  assertReachable(all, config.sinks.slack!.webhook_url!, 'SKEWWATCH_SLACK_WEBHOOK_URL');
  assertReachable(all, config.sinks.pagerduty!.url, 'SKEWWATCH_PAGERDUTY_URL');
  assert.equal(new URL(config.sinks.slack!.webhook_url!).pathname, '/slack', 'the print receiver takes Slack posts at /slack');
  assert.equal(new URL(config.sinks.pagerduty!.url).pathname, '/pagerduty/v2/enqueue');
  assert.ok(rules.length > 0);
  // The CPU query names a job Prometheus has, and parses as PromQL.
  const job = /job="([^"]+)"/.exec(config.source.queries!.cpu!)?.[1];
  assert.ok(readFileSync(join(ROOT, 'deploy/prometheus.yml'), 'utf8').includes(`job_name: ${job}`), `job ${job} is scraped`);
  const dir = mkdtempSync(join(tmpdir(), 'skewwatch-lab-'));
  const rf = join(dir, 'cpu.rules.yml');
  writeFileSync(rf, `groups:\n  - name: cpu\n    rules:\n      - record: lab:cpu\n        expr: ${JSON.stringify(config.source.queries!.cpu!.replaceAll('{{window}}', '1m'))}\n`);
  const r = run(promtool, ['check', 'rules', rf]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  // The receiver is the skewwatch image running the print receiver.
  assert.deepEqual(all.receiver!.build, all.skewwatch!.build);
  assert.equal(all.receiver!.command![0], 'print-receiver');
});

test('amtool accepts the Alertmanager config; its receivers are the print receiver', (t) => {
  const all = services(t);
  const amtool = tool(t, 'amtool');
  if (!all || !amtool) return;
  const r = run(amtool, ['check-config', 'deploy/alertmanager.yml']);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const am = parseYaml(readFileSync(join(ROOT, 'deploy/alertmanager.yml'), 'utf8')) as { receivers: Array<{ name: string; slack_configs?: Array<{ api_url: string }>; pagerduty_configs?: Array<{ url: string }> }> };
  const urls = am.receivers.flatMap((x) => [...(x.slack_configs ?? []).map((c) => c.api_url), ...(x.pagerduty_configs ?? []).map((c) => c.url)]);
  assert.ok(urls.length >= 2, 'a Slack and a PagerDuty receiver');
  for (const u of urls) assertReachable(all, u, 'alertmanager receiver');
  const mounted = hostPath(all.alertmanager!, /--config\.file=(\S+)/.exec(all.alertmanager!.command!.join(' '))![1]!);
  assert.equal(mounted, join(ROOT, 'deploy/alertmanager.yml'));
});

test('Grafana provisioning parses and points at the Prometheus service and the mounted dashboard', (t) => {
  const all = services(t);
  if (!all) return;
  const g = all.grafana!;
  const provisioning = hostPath(g, '/etc/grafana/provisioning')!;
  const ds = parseYaml(readFileSync(join(provisioning, 'datasources/prometheus.yml'), 'utf8')) as { datasources: Array<{ uid: string; url: string; type: string }> };
  const prom = ds.datasources.find((d) => d.type === 'prometheus')!;
  assertReachable(all, prom.url, 'Grafana datasource');
  const providers = parseYaml(readFileSync(join(provisioning, 'dashboards/skewwatch.yml'), 'utf8')) as { providers: Array<{ options: { path: string } }> };
  const dashDir = providers.providers[0]!.options.path;
  const dashboard = hostPath(g, `${dashDir}/skewwatch.json`);
  assert.ok(dashboard && statSync(dashboard).isFile(), `${dashDir}/skewwatch.json is mounted`);
  const json = JSON.parse(readFileSync(dashboard, 'utf8')) as { panels: Array<{ datasource?: { uid: string } }> };
  for (const p of json.panels) if (p.datasource) assert.ok([prom.uid, '${datasource}'].includes(p.datasource.uid), `panel datasource ${p.datasource.uid}`);
});
