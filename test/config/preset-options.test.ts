// source.preset_options: every preset's valid options load and reach the
// preset (query and scrape mode), every wrong one is reported at its own key
// path and line with a message that says what is expected.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildPreset, buildQueries } from '../../src/app/build.js';
import { ConfigError, type ConfigIssue } from '../../src/config/errors.js';
import { loadConfig } from '../../src/config/load.js';

let dir = '';
before(() => (dir = mkdtempSync(join(tmpdir(), 'skewwatch-preset-options-'))));
after(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
/** A config file with the given source lines (indented under `source:`); returns its path. */
function configWith(sourceLines: string[], mode: 'prometheus' | 'scrape' = 'prometheus'): string {
  const file = join(dir, `c${n++}.yaml`);
  const where =
    mode === 'prometheus'
      ? ['  prometheus:', '    url: http://127.0.0.1:9090']
      : ['  mode: scrape', '  scrape:', '    targets:', '      - url: http://127.0.0.1:8405/metrics'];
  writeFileSync(file, ['source:', ...where, ...sourceLines.map((l) => `  ${l}`), ''].join('\n'));
  return file;
}

function issuesOf(file: string): readonly ConfigIssue[] {
  try {
    loadConfig({ file, env: {} });
  } catch (e) {
    if (e instanceof ConfigError) return e.issues;
    throw e;
  }
  assert.fail(`${file} loaded, but it should not`);
}

/** Exactly one issue, at `path` on `line`, whose message contains `message`. */
function expectIssue(file: string, line: number, path: string, message: string): void {
  const issues = issuesOf(file);
  const shown = JSON.stringify(issues, null, 2);
  assert.equal(issues.length, 1, shown);
  assert.equal(issues[0]!.file, `${file}:${line}`, shown);
  assert.equal(issues[0]!.path, path, shown);
  assert.ok(issues[0]!.message.includes(message), shown);
}

describe('preset_options: valid options load and reach the preset', () => {
  it('haproxy backup_servers (query and scrape mode)', () => {
    const lines = ['preset: haproxy', 'preset_options:', '  backup_servers: [be_app/bk1, be_app/bk2]'];
    const q = loadConfig({ file: configWith(lines), env: {} }).config;
    assert.match(buildQueries(q, buildPreset(q)).backup!, /server="bk1"/);
    const sc = loadConfig({ file: configWith(lines, 'scrape'), env: {} }).config;
    assert.ok(buildPreset(sc).scrape!.metricNames.includes('haproxy_server_backup'));
  });

  it('nginx flavour vts and plus', () => {
    const vts = loadConfig({ file: configWith(['preset: nginx', 'preset_options: { flavour: vts }']), env: {} }).config;
    assert.match(buildPreset(vts).queries({ window: '1m', matchers: '' }).rate, /nginx_vts_upstream_requests_total/);
    const plus = loadConfig({ file: configWith(['preset: nginx', 'preset_options: { flavour: plus }'], 'scrape'), env: {} }).config;
    assert.match(buildPreset(plus).queries({ window: '1m', matchers: '' }).rate, /nginxplus_upstream_server_requests/);
  });

  it('traefik job and groups', () => {
    const c = loadConfig({ file: configWith(['preset: traefik', 'preset_options: { job: traefik-edge, groups: { app: "app-.*" } }'], 'scrape'), env: {} }).config;
    assert.match(buildPreset(c).description, /traefik-edge; pools app/);
    assert.deepEqual(buildPreset(c).poolLabels, ['job', 'group']);
  });

  it('kubernetes workload_label, request_metric, error_matcher', () => {
    const c = loadConfig({
      file: configWith(['preset: kubernetes', 'preset_options:', '  workload_label: app', '  request_metric: myapp_requests_total', "  error_matcher: 'status=~\"5..\"'"]),
      env: {},
    }).config;
    const q = buildQueries(c, buildPreset(c));
    assert.match(q.rate, /sum by \(namespace, app, pod\) \(rate\(myapp_requests_total\[1m\]\)\)/);
    assert.match(q.errors!, /myapp_requests_total\{status=~"5.."\}/);
  });

  it('an empty preset_options is fine for every preset', () => {
    for (const p of ['haproxy', 'envoy', 'nginx', 'traefik', 'kubernetes']) {
      loadConfig({ file: configWith([`preset: ${p}`, 'preset_options: {}']), env: {} });
    }
  });
});

describe('preset_options: a wrong option is reported at its key path', () => {
  // configWith puts `source:` on line 1 and the target on lines 2-3 (prometheus mode),
  // so the first source line given is line 4.
  it('an option of another preset', () => {
    expectIssue(configWith(['preset: haproxy', 'preset_options:', '  flavour: vts']), 6, 'source.preset_options.flavour', 'unknown key "flavour" (preset haproxy takes backup_servers)');
  });

  it('a preset that takes no options', () => {
    expectIssue(configWith(['preset: envoy', 'preset_options:', '  job: x']), 6, 'source.preset_options.job', 'preset envoy takes no options');
  });

  it('nginx flavour not plus or vts', () => {
    expectIssue(configWith(['preset: nginx', 'preset_options:', '  flavour: oss']), 6, 'source.preset_options.flavour', '"plus"');
  });

  it('haproxy backup_servers entry without a proxy', () => {
    expectIssue(configWith(['preset: haproxy', 'preset_options:', '  backup_servers: [bk1]']), 6, 'source.preset_options.backup_servers[0]', 'expected <proxy>/<server>');
  });

  it('traefik job empty', () => {
    expectIssue(configWith(['preset: traefik', 'preset_options:', "  job: ''"]), 6, 'source.preset_options.job', '');
  });

  it('traefik groups with an invalid regex', () => {
    expectIssue(configWith(['preset: traefik', 'preset_options:', '  groups:', "    app: 'app-('"]), 7, 'source.preset_options.groups.app', 'expected a valid regular expression');
  });

  it('traefik group name with a slash', () => {
    expectIssue(configWith(['preset: traefik', 'preset_options:', '  groups:', "    a/b: 'x'"]), 7, 'source.preset_options.groups.a/b', 'Invalid key in record');
  });

  it('kubernetes workload_label not a label name', () => {
    expectIssue(configWith(['preset: kubernetes', 'preset_options:', '  workload_label: app-name']), 6, 'source.preset_options.workload_label', 'expected a Prometheus label name');
  });

  it('kubernetes request_metric not a metric name', () => {
    expectIssue(configWith(['preset: kubernetes', 'preset_options:', '  request_metric: 1requests']), 6, 'source.preset_options.request_metric', 'expected a Prometheus metric name');
  });

  it('kubernetes error_matcher not one matcher', () => {
    expectIssue(configWith(['preset: kubernetes', 'preset_options:', "  error_matcher: 'code=5xx'"]), 6, 'source.preset_options.error_matcher', 'expected one matcher');
  });
});

describe('scrape mode: what it cannot honour is said, not ignored', () => {
  const warningsOf = (lines: string[]) => loadConfig({ file: configWith(lines, 'scrape'), env: {} }).warnings;

  it('queries, pool_labels and backend_label are ignored in scrape mode: warned', () => {
    const w = warningsOf(['preset: haproxy', 'queries: { cpu: "x" }', 'pool_labels: [a]', 'backend_label: b']);
    assert.ok(w.some((x) => x === 'scrape mode ignores source.queries (PromQL), source.pool_labels, source.backend_label: the preset\'s own metric and label names are read'), w.join('\n'));
  });

  it('matchers or labels on job/instance match nothing in a balancer exposition: warned', () => {
    const w = warningsOf(['preset: haproxy', 'matchers: \'instance=~"lb-.*"\'', 'labels: { job: haproxy }']);
    assert.ok(w.some((x) => /name instance, job, which Prometheus adds/.test(x)), w.join('\n'));
  });

  it('traefik\'s job is its own label in scrape mode: no warning; service matchers none either', () => {
    const w = warningsOf(['preset: traefik', 'matchers: \'job="traefik",service=~"app-.*"\'']);
    assert.deepEqual(w.filter((x) => /Prometheus adds|scrape mode ignores/.test(x)), []);
  });
});
