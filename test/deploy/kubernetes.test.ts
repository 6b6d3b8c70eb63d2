// deploy/kubernetes/: every manifest validates against the Kubernetes and
// prometheus-operator OpenAPI schemas (kubernetes-models' generated
// validators, offline), both kustomize variants resolve, and what an SRE
// expects of the pods holds: probes on /healthz and /readyz, secrets from a
// Secret through *_file keys, read-only root with the state dir on a volume,
// non-root, requests and limits, selectors that select, the config loads,
// the sidecar's HAProxy config passes `haproxy -c`, and the PrometheusRule's
// rules pass `promtool check rules` and equal alerts/prometheus/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { PodMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { loadConfig } from '../../src/config/load.js';
import { build, readManifests, type K8sObject } from './kustomize.js';
import { unknownFieldProblems } from './k8s-strict.js';
import { ROOT, run, tool } from './tools.js';

const K8S = join(ROOT, 'deploy/kubernetes');
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment,
  'v1/ConfigMap': ConfigMap,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/ServiceAccount': ServiceAccount,
  'monitoring.coreos.com/v1/PodMonitor': PodMonitor,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
};

function validate(o: K8sObject, where: string): void {
  const Model = MODELS[`${o.apiVersion}/${o.kind}`];
  assert.ok(Model, `${where}: ${o.apiVersion} ${o.kind} has a schema in the test`);
  assert.doesNotThrow(() => new Model(o as never).validate(), `${where}: ${o.kind}/${o.metadata?.name} matches the schema`);
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? yamlFiles(p) : /\.ya?ml$/.test(n) && n !== 'kustomization.yaml' ? [p] : [];
  });
}

const VARIANTS = ['sidecar', 'prometheus'] as const;
const built = Object.fromEntries(VARIANTS.map((v) => [v, build(join(K8S, v))])) as Record<(typeof VARIANTS)[number], K8sObject[]>;

interface Container { name: string; image: string; env?: Array<{ name: string; value: string }>; ports?: Array<{ name: string; containerPort: number }>; livenessProbe?: { httpGet?: { path: string; port: string | number } }; readinessProbe?: { httpGet?: { path: string; port: string | number } }; resources?: { requests?: Record<string, string>; limits?: Record<string, string> }; securityContext?: Record<string, unknown>; volumeMounts?: Array<{ name: string; mountPath: string; subPath?: string }> }
interface PodSpec { securityContext?: Record<string, unknown>; containers: Container[]; volumes: Array<{ name: string; configMap?: { name: string }; secret?: { secretName: string }; emptyDir?: unknown; persistentVolumeClaim?: { claimName: string } }> }
const podOf = (d: K8sObject) => (d.spec as { template: { metadata: { labels: Record<string, string> }; spec: PodSpec } }).template;
const find = (objs: K8sObject[], kind: string, name?: string) => objs.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
const selects = (selector: Record<string, string>, labels: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);

test('every manifest file validates against the Kubernetes / prometheus-operator schemas', () => {
  const files = yamlFiles(K8S);
  assert.ok(files.length >= 10);
  for (const f of files) for (const o of readManifests(f)) validate(o, relative(ROOT, f));
  // The validators bite: a string port is refused.
  const bad = structuredClone(find(built.prometheus, 'Deployment')[0]!);
  (podOf(bad).spec.containers[0]!.ports![0] as { containerPort: unknown }).containerPort = 'http';
  assert.throws(() => new Deployment(bad as never).validate(), /containerPort must be integer/);
});

test('no manifest has a field the API does not know (strict field validation, as the API server does)', () => {
  const all = yamlFiles(K8S).flatMap((f) => readManifests(f).map((object) => ({ where: `${relative(ROOT, f)} ${object.kind}/${object.metadata.name}`, object })));
  assert.deepEqual(unknownFieldProblems(all), []);
  // The check bites: a typo is reported with where it is.
  const typo = structuredClone(find(built.sidecar, 'Deployment')[0]!);
  const c = podOf(typo).spec.containers[1] as unknown as Record<string, unknown>;
  c.readinesProbe = c.readinessProbe;
  delete c.readinessProbe;
  const problems = unknownFieldProblems([{ where: 'typo', object: typo }]);
  assert.equal(problems.length, 1, problems.join('\n'));
  assert.match(problems[0]!, /^typo: .*'"readinesProbe"' does not exist in type 'IContainer'/);
});

for (const variant of VARIANTS) {
  test(`${variant}: the kustomization resolves and its pod follows the conventions`, () => {
    const objs = built[variant];
    for (const o of objs) validate(o, variant);
    for (const kind of ['Service', 'PrometheusRule', 'Deployment', 'ServiceAccount', 'ConfigMap', variant === 'sidecar' ? 'PodMonitor' : 'ServiceMonitor']) assert.ok(find(objs, kind).length > 0, `${variant} has a ${kind}`);
    const deployment = find(objs, 'Deployment')[0]!;
    const pod = podOf(deployment);
    assert.ok(selects((deployment.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels, pod.metadata.labels));
    assert.equal(pod.spec.securityContext?.runAsNonRoot, true, 'non-root');
    const sw = pod.spec.containers.find((c) => c.name === 'skewwatch')!;
    assert.ok(sw, 'a skewwatch container');
    const port = sw.ports!.find((p) => p.name === 'metrics')!;
    assert.deepEqual(sw.livenessProbe?.httpGet, { path: '/healthz', port: 'metrics' });
    assert.deepEqual(sw.readinessProbe?.httpGet, { path: '/readyz', port: 'metrics' });
    for (const c of pod.spec.containers) {
      assert.equal(c.securityContext?.readOnlyRootFilesystem, true, `${c.name}: read-only root filesystem`);
      assert.equal(c.securityContext?.allowPrivilegeEscalation, false, `${c.name}: no privilege escalation`);
      assert.deepEqual((c.securityContext?.capabilities as { drop: string[] }).drop, ['ALL']);
      for (const r of ['cpu', 'memory']) {
        assert.ok(c.resources?.requests?.[r], `${c.name}: ${r} request`);
        assert.ok(c.resources?.limits?.[r], `${c.name}: ${r} limit`);
      }
      assert.match(c.image, /:[\w.-]+$/, `${c.name}: image with a tag`);
    }
    const uid = (sw.securityContext?.runAsUser ?? pod.spec.securityContext?.runAsUser) as number;
    assert.ok(uid > 0, 'skewwatch runs as a non-zero uid');

    // Config: from a ConfigMap through SKEWWATCH_CONFIG; the listen port is the probes' port.
    const configPath = sw.env!.find((e) => e.name === 'SKEWWATCH_CONFIG')!.value;
    const configMount = sw.volumeMounts!.find((m) => m.mountPath === configPath)!;
    const configVolume = pod.spec.volumes.find((v) => v.name === configMount.name)!;
    const cm = find(objs, 'ConfigMap', configVolume.configMap!.name)[0]!;
    const text = (cm.data as Record<string, string>)[configMount.subPath!]!;
    const raw = parseYaml(text) as { listen: string; state_dir: string };
    assert.equal(Number(raw.listen.split(':').pop()), port.containerPort);

    // State dir on a volume (the root filesystem is read-only).
    const stateMount = sw.volumeMounts!.find((m) => m.mountPath === raw.state_dir);
    assert.ok(stateMount, `state dir ${raw.state_dir} is a mount`);
    const stateVolume = pod.spec.volumes.find((v) => v.name === stateMount.name)!;
    assert.ok(stateVolume.emptyDir !== undefined || stateVolume.persistentVolumeClaim, 'state on an emptyDir or a PVC');
    if (stateVolume.persistentVolumeClaim) assert.ok(find(objs, 'PersistentVolumeClaim', stateVolume.persistentVolumeClaim.claimName).length === 1, 'the PVC exists');

    // Secrets: every *_file key points into a mount of the Secret, at a key the Secret has.
    const secretVolume = pod.spec.volumes.find((v) => v.secret)!;
    const secretMount = sw.volumeMounts!.find((m) => m.name === secretVolume.name)!;
    const example = readManifests(join(K8S, 'secret.example.yaml'))[0]!;
    assert.equal(example.metadata.name, secretVolume.secret!.secretName);
    const keys = example.stringData as Record<string, string>;
    const files = [...text.matchAll(/_file:\s*(\S+)/g)].map((m) => m[1]!);
    assert.ok(files.length >= 2, 'the Slack URL and PagerDuty key come from files');
    for (const f of files) {
      assert.ok(f.startsWith(`${secretMount.mountPath}/`), `${f} is in the Secret's mount`);
      assert.ok(keys[f.slice(secretMount.mountPath.length + 1)], `the Secret has key ${f}`);
    }
    assert.doesNotMatch(text, /hooks\.slack\.com|routing_key:\s/, 'no secret in the ConfigMap');
    // The config loads with the Secret's files where the mount puts them.
    const dir = mkdtempSync(join(tmpdir(), 'skewwatch-k8s-'));
    for (const [k, v] of Object.entries(keys)) writeFileSync(join(dir, k), v);
    writeFileSync(join(dir, 'skewwatch.yaml'), text.replaceAll(secretMount.mountPath, dir).replace(raw.state_dir, join(dir, 'state')));
    const loaded = loadConfig({ file: join(dir, 'skewwatch.yaml'), env: {} });
    assert.ok(loaded.config.sinks.slack && loaded.config.sinks.pagerduty);

    // The Service selects the pod and exposes the metrics port; the monitor selects what it should.
    const svc = find(objs, 'Service')[0]!;
    const svcSpec = svc.spec as { selector: Record<string, string>; ports: Array<{ name: string; targetPort: string }> };
    assert.ok(selects(svcSpec.selector, pod.metadata.labels), 'Service selects the pod');
    assert.ok(svcSpec.ports.some((p) => p.targetPort === 'metrics'));
    if (variant === 'prometheus') {
      const sm = find(objs, 'ServiceMonitor')[0]!.spec as { selector: { matchLabels: Record<string, string> }; endpoints: Array<{ port: string }> };
      assert.ok(selects(sm.selector.matchLabels, svc.metadata.labels!), 'ServiceMonitor selects the Service');
      for (const e of sm.endpoints) assert.ok(svcSpec.ports.some((p) => p.name === e.port), `Service has port ${e.port}`);
      assert.equal(loaded.config.source.mode, 'prometheus');
      assert.ok(loaded.config.source.queries?.cpu, 'the CPU query is set');
    } else {
      const pm = find(objs, 'PodMonitor')[0]!.spec as { selector: { matchLabels: Record<string, string> }; podMetricsEndpoints: Array<{ port: string }> };
      assert.ok(selects(pm.selector.matchLabels, pod.metadata.labels), 'PodMonitor selects the pod');
      const named = new Set(pod.spec.containers.flatMap((c) => (c.ports ?? []).map((p) => p.name)));
      for (const e of pm.podMetricsEndpoints) assert.ok(named.has(e.port), `a container port is named ${e.port}`);
      // Scrape mode over localhost, at the port HAProxy's exporter binds in this pod.
      assert.equal(loaded.config.source.mode, 'scrape');
      const target = new URL(loaded.config.source.scrape!.targets[0]!.url);
      assert.equal(target.hostname, '127.0.0.1');
      const haproxy = pod.spec.containers.find((c) => c.name === 'haproxy')!;
      assert.ok(haproxy.ports!.some((p) => p.containerPort === Number(target.port)), 'HAProxy exposes that port');
    }
  });
}

test("the sidecar's HAProxy config passes haproxy -c and binds the exporter port skewwatch scrapes", (t) => {
  const bin = tool(t, 'haproxy');
  if (!bin) return;
  const cm = find(built.sidecar, 'ConfigMap', 'haproxy-config')[0]!;
  const cfg = (cm.data as Record<string, string>)['haproxy.cfg']!;
  assert.match(cfg, /bind :8404\n\s+http-request use-service prometheus-exporter/);
  const dir = mkdtempSync(join(tmpdir(), 'skewwatch-k8s-'));
  writeFileSync(join(dir, 'haproxy.cfg'), cfg);
  const r = run(bin, ['-c', '-f', join(dir, 'haproxy.cfg')]);
  assert.equal(r.status, 0, r.stderr);
});

test('the PrometheusRule carries alerts/prometheus/skewwatch-self.rules.yml, and promtool accepts its rules', (t) => {
  const rule = find(built.prometheus, 'PrometheusRule')[0]!;
  const source = parseYaml(readFileSync(join(ROOT, 'alerts/prometheus/skewwatch-self.rules.yml'), 'utf8')) as { groups: unknown };
  assert.deepEqual((rule.spec as { groups: unknown }).groups, source.groups, 'in sync: run `node scripts/sync-prometheusrule.mjs`');
  const promtool = tool(t, 'promtool');
  if (!promtool) return;
  const dir = mkdtempSync(join(tmpdir(), 'skewwatch-k8s-'));
  writeFileSync(join(dir, 'rules.yml'), stringify(rule.spec));
  const r = run(promtool, ['check', 'rules', join(dir, 'rules.yml')]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
});
