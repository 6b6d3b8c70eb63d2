// Config loading and validation: the shipped examples load, every kind of
// mistake is reported with its file (and line), key path and a message that
// says what is expected, secrets never reach an error, and `skewwatch
// validate` prints all of it.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { loadConfig, DEFAULT_RULES_FILE } from '../../src/config/load.js';
import { ConfigError, type ConfigIssue } from '../../src/config/errors.js';
import { ENV_OVERRIDES } from '../../src/config/env.js';
import { ruleFileSchema } from '../../src/config/rules.js';
import { main } from '../../src/cli.js';
import { buildAnalysisOptions, buildPreset, buildQueries } from '../../src/app/build.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const FIXTURES = join(ROOT, 'test/fixtures/config');
const EXAMPLES = join(ROOT, 'alerts/examples');
const fixture = (name: string) => join(FIXTURES, name);

const PD_KEY = '0123456789abcdef0123456789abcdef';

/** Loads and returns the ConfigError's issues; fails when the config loads. */
function issuesOf(file: string | undefined, env: NodeJS.ProcessEnv = {}): readonly ConfigIssue[] {
  try {
    loadConfig({ ...(file ? { file } : {}), env });
  } catch (e) {
    if (e instanceof ConfigError) return e.issues;
    throw e;
  }
  assert.fail(`${file ?? '(environment)'} loaded, but it should not`);
}

interface Expected {
  /** Line in the file; omitted when the issue is not in the file (env var). */
  readonly line?: number;
  /** Overrides the file part (e.g. "env SKEWWATCH_INTERVAL"). */
  readonly file?: string;
  readonly path: string;
  readonly message: string;
}

/** The issues are exactly `expected`, in order: file (with line), path, message fragment. */
function assertIssues(actual: readonly ConfigIssue[], file: string, expected: readonly Expected[]): void {
  const shown = JSON.stringify(actual, null, 2);
  assert.equal(actual.length, expected.length, `expected ${expected.length} issue(s), got:\n${shown}`);
  expected.forEach((want, i) => {
    const got = actual[i]!;
    const wantFile = want.file ?? (want.line === undefined ? file : `${file}:${want.line}`);
    assert.equal(got.file, wantFile, `issue ${i} file:\n${shown}`);
    assert.equal(got.path, want.path, `issue ${i} path:\n${shown}`);
    assert.ok(got.message.includes(want.message), `issue ${i} message should contain ${JSON.stringify(want.message)}:\n${shown}`);
  });
}

function expectBad(name: string, expected: readonly Expected[], env: NodeJS.ProcessEnv = {}): void {
  const file = fixture(name);
  assertIssues(issuesOf(file, env), file, expected);
}

/** A temp dir for secret files the examples read through *_FILE variables. */
let secretsDir = '';
let exampleEnv: NodeJS.ProcessEnv = {};
before(() => {
  secretsDir = mkdtempSync(join(tmpdir(), 'skewwatch-config-test-'));
  const write = (name: string, text: string) => {
    const p = join(secretsDir, name);
    writeFileSync(p, text);
    return p;
  };
  exampleEnv = {
    PROMETHEUS_URL: 'http://prometheus:9090',
    PROMETHEUS_PASSWORD_FILE: write('prom-password', 'hunter2-example\n'),
    PROMETHEUS_TOKEN: 'example-prometheus-token',
    SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T000/B000/examplesecret',
    SLACK_WEBHOOK_URL_FILE: write('slack-url', 'https://hooks.slack.com/services/T000/B000/filesecret\n'),
    PAGERDUTY_ROUTING_KEY: PD_KEY,
    PAGERDUTY_ROUTING_KEY_FILE: write('pd-key', `${PD_KEY}\n`),
    OPS_BOT_URL: 'http://ops-bot:8080/hook',
    HAPROXY_EXPORTER_URL: 'http://lb1:8405/metrics',
    ALERTMANAGER_URL: 'http://alertmanager:9093',
    WEBHOOK_URL_FILE: write('chatops-url', 'https://chatops.example.com/hook\n'),
  };
});
after(() => rmSync(secretsDir, { recursive: true, force: true }));

const exampleConfigs = readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml') && !f.startsWith('rules-')).sort();
const exampleRuleFiles = readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml') && f.startsWith('rules-')).sort();

describe('shipped configs', () => {
  it('has one example per preset and mode, plus a rule file', () => {
    assert.deepEqual(exampleConfigs, ['custom.yaml', 'envoy.yaml', 'haproxy-prometheus.yaml', 'haproxy-scrape.yaml', 'kubernetes.yaml', 'nginx.yaml', 'traefik.yaml']);
    assert.deepEqual(exampleRuleFiles, ['rules-strict.yaml']);
  });

  for (const name of exampleConfigs) {
    it(`alerts/examples/${name} loads with the variables its header documents`, () => {
      const file = join(EXAMPLES, name);
      const text = readFileSync(file, 'utf8');
      const header = text.split('\n').filter((l) => l.startsWith('#')).join('\n');
      const used = [...new Set([...text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!))];
      for (const v of used) assert.ok(header.includes(v), `${name} uses \${${v}} but its header comment does not document it`);
      const env: NodeJS.ProcessEnv = {};
      for (const v of used) if (exampleEnv[v] !== undefined) env[v] = exampleEnv[v];
      const loaded = loadConfig({ file, env });
      assert.equal(loaded.files[0], file);
      assert.ok(loaded.rules.length > 0, 'every example alerts on something');
      // Without its variables the example is rejected rather than half-configured.
      const required = used.filter((v) => !new RegExp(`\\$\\{${v}:-`).test(text));
      if (required.length > 0) assert.throws(() => loadConfig({ file, env: {} }), ConfigError);
    });
  }

  it('the preset and mode of each example are what its name says', () => {
    const load = (name: string) => loadConfig({ file: join(EXAMPLES, name), env: exampleEnv }).config.source;
    assert.deepEqual([load('haproxy-prometheus.yaml').preset, load('haproxy-prometheus.yaml').mode], ['haproxy', 'prometheus']);
    assert.deepEqual([load('haproxy-scrape.yaml').preset, load('haproxy-scrape.yaml').mode], ['haproxy', 'scrape']);
    for (const p of ['envoy', 'nginx', 'traefik', 'kubernetes', 'custom'] as const) assert.equal(load(`${p}.yaml`).preset, p);
  });

  it('haproxy-prometheus.yaml reads its secrets from env and files and loads rules-strict.yaml', () => {
    const loaded = loadConfig({ file: join(EXAMPLES, 'haproxy-prometheus.yaml'), env: exampleEnv });
    const { sinks, source } = loaded.config;
    assert.equal(sinks.slack?.webhook_url, exampleEnv.SLACK_WEBHOOK_URL);
    assert.equal(sinks.pagerduty?.routing_key, PD_KEY);
    assert.equal(source.prometheus?.basic_auth?.password, 'hunter2-example');
    assert.ok(loaded.files.includes(join(EXAMPLES, 'rules-strict.yaml')));
    assert.ok(loaded.rules.some((r) => r.id === 'CheckoutSkewStrict' && r.overrides.length === 1));
    assert.deepEqual(loaded.warnings, [], 'secrets come from env and files: no "secret written in the file" warning');
  });

  it('haproxy-scrape.yaml labels every cpu target with proxy and server', () => {
    const targets = loadConfig({ file: join(EXAMPLES, 'haproxy-scrape.yaml'), env: exampleEnv }).config.source.scrape!.targets;
    assert.equal(targets[0]!.role, 'balancer');
    assert.equal(targets[0]!.url, exampleEnv.HAPROXY_EXPORTER_URL);
    const cpu = targets.filter((t) => t.role === 'cpu');
    assert.ok(cpu.length >= 2);
    for (const t of cpu) assert.deepEqual(Object.keys(t.labels).sort(), ['proxy', 'server']);
  });

  it('every example builds its preset, queries and analysis options', () => {
    for (const name of exampleConfigs) {
      const { config } = loadConfig({ file: join(EXAMPLES, name), env: exampleEnv });
      const preset = buildPreset(config);
      assert.equal(preset.name, config.source.preset, name);
      buildAnalysisOptions(config);
      if (config.source.mode === 'prometheus') assert.ok(buildQueries(config, preset).rate.length > 0, name);
    }
  });

  it('custom.yaml queries reach Prometheus with every placeholder filled', () => {
    const { config } = loadConfig({ file: join(EXAMPLES, 'custom.yaml'), env: exampleEnv });
    const q = buildQueries(config, buildPreset(config));
    assert.equal(q.rate, 'sum by (cluster, pool, host) (rate(lb_requests_total{role="web",env="prod"}[1m]))');
    assert.equal(q.weight, 'max by (cluster, pool, host) (lb_backend_weight{env="prod"})');
    assert.equal(q.cpuCapacity, 'max by (cluster, pool, host) (machine_cpu_cores{env="prod"})');
    assert.doesNotMatch(JSON.stringify(q), /\{\{/);
  });

  it('custom.yaml uses the custom preset placeholders', () => {
    const q = loadConfig({ file: join(EXAMPLES, 'custom.yaml'), env: exampleEnv }).config.source.queries!;
    assert.match(q.rate!, /\{\{window\}\}/);
    assert.match(q.rate!, /\{\{,matchers\}\}/);
    assert.match(q.weight!, /\{\{\{matchers\}\}\}/);
  });

  for (const name of exampleRuleFiles) {
    it(`alerts/examples/${name} is a valid rule file`, () => {
      const parsed = ruleFileSchema.safeParse(parseYaml(readFileSync(join(EXAMPLES, name), 'utf8')));
      assert.ok(parsed.success, parsed.success ? '' : JSON.stringify(parsed.error.issues));
      assert.ok(parsed.data.rules.length > 0);
    });
  }

  it('the default rules load when no rule_files are given', () => {
    const loaded = loadConfig({ env: { SKEWWATCH_PROMETHEUS_URL: 'http://prometheus:9090' } });
    assert.deepEqual(loaded.files, [DEFAULT_RULES_FILE]);
    assert.deepEqual(loaded.rules.map((r) => r.id), ['TrafficSkew', 'TrafficSkewCritical', 'PoolDown', 'PoolCapacityLoss', 'LoadBalancerConfigDrift', 'LoadBalancerConfigDriftCritical', 'SkewwatchBlind', 'SkewwatchSignalMissing', 'SkewwatchNoPools']);
    const parsed = ruleFileSchema.safeParse(parseYaml(readFileSync(DEFAULT_RULES_FILE, 'utf8')));
    assert.ok(parsed.success);
  });
});

describe('bad configs: one fixture and one message each', () => {
  it('unknown top-level key (typo)', () => {
    expectBad('bad-unknown-top-level-key.yaml', [{ line: 5, path: 'sinkz', message: 'unknown key "sinkz"' }]);
  });

  it('unknown nested key (typo)', () => {
    expectBad('bad-unknown-nested-key.yaml', [{ line: 8, path: 'sinks.slack.webhok_url', message: 'unknown key "webhok_url"' }]);
  });

  it('wrong type', () => {
    expectBad('bad-wrong-type.yaml', [{ line: 2, path: 'interval', message: 'expected a duration such as 15s, 1m or 1h30m, got true' }]);
  });

  it('bad duration', () => {
    expectBad('bad-duration.yaml', [{ line: 5, path: 'interval', message: 'expected a duration such as 15s, 1m or 1h30m, got "15 seconds"' }]);
  });

  it('bad URL', () => {
    expectBad('bad-url.yaml', [{ line: 5, path: 'source.prometheus.url', message: 'expected an http:// or https:// URL' }]);
  });

  it('prometheus mode without a Prometheus URL', () => {
    expectBad('bad-missing-prometheus-url.yaml', [{ line: 3, path: 'source.prometheus.url', message: 'required in prometheus mode' }]);
  });

  it('custom preset without queries.rate, pool_labels and backend_label', () => {
    expectBad('bad-custom-preset.yaml', [
      { line: 2, path: 'source.queries.rate', message: 'required with preset custom' },
      { line: 2, path: 'source.pool_labels', message: 'required with preset custom' },
      { line: 2, path: 'source.backend_label', message: 'required with preset custom' },
    ]);
  });

  it('rule with both above and below', () => {
    expectBad('bad-rule-above-and-below.yaml', [{ line: 8, path: 'rules[0].when', message: 'set exactly one of above or below' }]);
  });

  it('rule with resolve_below above its threshold', () => {
    expectBad('bad-rule-resolve-below.yaml', [{ line: 11, path: 'rules[0].when.resolve_below', message: 'must be <= above' }]);
  });

  it('rule naming an undefined webhook', () => {
    expectBad('bad-rule-undefined-webhook.yaml', [
      { line: 16, path: 'rules[0] (ToMissingWebhook).sinks', message: 'names webhook:chatopz but sinks.webhooks has no webhook of that name' },
    ]);
  });

  it('rule in a rule file naming an undefined webhook is reported in the rule file', () => {
    const rules = fixture('rules-undefined-webhook.yaml');
    assertIssues(issuesOf(fixture('bad-rule-file-reference.yaml')), rules, [
      { line: 10, path: 'rules[1] (ToNowhere).sinks', message: 'names webhook:nowhere' },
    ]);
  });

  it('unset ${ENV} variable in a rule file is reported in the rule file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'skewwatch-rulefile-env-'));
    try {
      const config = join(dir, 'c.yaml');
      const rules = join(dir, 'r.yaml');
      writeFileSync(config, 'source: { prometheus: { url: "http://p:9090" } }\nrule_files: [r.yaml]\n');
      writeFileSync(rules, 'rules:\n  - id: R\n    when: { stat: severity, above: 0.5 }\n    severity: warning\n    sinks: [slack]\n    annotations:\n      runbook_url: ${RUNBOOK_BASE}/r\n');
      assertIssues(issuesOf(config), rules, [{ line: 7, path: 'rules[0].annotations.runbook_url', message: 'environment variable RUNBOOK_BASE is not set' }]);
      assert.equal(loadConfig({ file: config, env: { RUNBOOK_BASE: 'https://rb.example.com' } }).rules[0]!.annotations.runbook_url, 'https://rb.example.com/r');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('duplicate rule ids', () => {
    expectBad('bad-duplicate-rule-ids.yaml', [{ line: 11, path: 'rules[1] (Skew).id', message: 'duplicate rule id "Skew"' }]);
  });

  it('unknown preset name', () => {
    expectBad('bad-unknown-preset.yaml', [{ line: 3, path: 'source.preset', message: 'expected one of "haproxy"|"envoy"|"nginx"|"traefik"|"kubernetes"|"custom"' }]);
  });

  it('unset ${ENV} variable (reported once, not again as a bad URL)', () => {
    expectBad('bad-unset-env.yaml', [
      { line: 4, path: 'source.prometheus.url', message: 'environment variable SKEWWATCH_TEST_UNSET_PROMETHEUS is not set' },
    ]);
  });

  it('secret file that does not exist', () => {
    expectBad('bad-secret-file-missing.yaml', [{ line: 7, path: 'sinks.slack.webhook_url_file', message: 'cannot read secret file secrets/does-not-exist: ENOENT' }]);
  });

  it('PagerDuty routing key that is not 32 characters, without echoing the key', () => {
    const key = 'abc123-short-secret-key';
    const file = fixture('bad-pagerduty-key-length.yaml');
    const issues = issuesOf(file, { SKEWWATCH_TEST_PD_KEY: key });
    assertIssues(issues, file, [{ line: 7, path: 'sinks.pagerduty.routing_key', message: `expected a 32-character integration key (got ${key.length} characters)` }]);
    assert.ok(!JSON.stringify(issues).includes(key));
    assert.ok(!new ConfigError(issues).message.includes(key));
  });

  it('YAML syntax error, with its line', () => {
    expectBad('bad-yaml-syntax.yaml', [{ line: 5, path: '(yaml)', message: 'All mapping items must start at the same column' }]);
  });

  it('alertmanager resend_interval not shorter than resolve_timeout', () => {
    expectBad('bad-alertmanager-resend.yaml', [{ line: 9, path: 'sinks.alertmanager.resend_interval', message: 'must be shorter than resolve_timeout' }]);
  });

  it('cpu scrape target without labels', () => {
    expectBad('bad-cpu-target-without-labels.yaml', [{ line: 8, path: 'source.scrape.targets[1].labels', message: 'a cpu target needs labels naming its pool and backend' }]);
  });

  it('invalid regex in a rule match', () => {
    expectBad('bad-match-regex.yaml', [{ line: 14, path: 'rules[0].match.proxy', message: 'expected a valid regular expression' }]);
  });

  it('several problems are all reported (in schema order)', () => {
    expectBad('bad-several.yaml', [
      { line: 2, path: 'interval', message: 'expected a duration' },
      { line: 6, path: 'source.preset', message: 'expected one of' },
      { line: 5, path: 'source.prometheus.url', message: 'expected an http:// or https:// URL' },
      { line: 7, path: 'sinkz', message: 'unknown key "sinkz"' },
    ]);
  });

  it('a missing config file', () => {
    const file = fixture('does-not-exist.yaml');
    assertIssues(issuesOf(file), file, [{ path: '(file)', message: 'cannot read file: ENOENT' }]);
  });
});

describe('environment overrides', () => {
  const full: Record<string, string> = {
    SKEWWATCH_PROMETHEUS_URL: 'http://prometheus:9090',
    SKEWWATCH_PRESET: 'envoy',
    SKEWWATCH_MODE: 'prometheus',
    SKEWWATCH_INTERVAL: '30s',
    SKEWWATCH_RATE_WINDOW: '2m',
    SKEWWATCH_CPU_QUERY: 'sum by (envoy_cluster_name, envoy_upstream_host) (rate(process_cpu_seconds_total[{{window}}]))',
    SKEWWATCH_SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/TENV/BENV/envsecret',
    SKEWWATCH_PAGERDUTY_ROUTING_KEY: PD_KEY,
    SKEWWATCH_PAGERDUTY_URL: 'https://events.eu.pagerduty.com/v2/enqueue',
    SKEWWATCH_ALERTMANAGER_URL: 'http://alertmanager:9093',
    SKEWWATCH_STATE_DIR: '/var/lib/skewwatch',
    SKEWWATCH_LISTEN: '127.0.0.1:19465',
    SKEWWATCH_LOG_LEVEL: 'debug',
    SKEWWATCH_HAPROXY_CONFIG: '/etc/haproxy/haproxy.cfg',
    SKEWWATCH_HAPROXY_RUNTIME_API: 'unix:/run/haproxy/admin.sock',
    SKEWWATCH_SHARD: '1/3',
  };

  it('every documented SKEWWATCH_* variable works with no file', () => {
    assert.deepEqual(Object.keys(full).sort(), ENV_OVERRIDES.map(([name]) => name).sort(), 'this test covers every override');
    const { config } = loadConfig({ env: full });
    assert.equal(config.source.prometheus?.url, full.SKEWWATCH_PROMETHEUS_URL);
    assert.equal(config.source.preset, 'envoy');
    assert.equal(config.source.mode, 'prometheus');
    assert.equal(config.interval, 30_000);
    assert.equal(config.source.rate_window, 120_000);
    assert.equal(config.sinks.slack?.webhook_url, full.SKEWWATCH_SLACK_WEBHOOK_URL);
    assert.equal(config.sinks.pagerduty?.routing_key, PD_KEY);
    assert.equal(config.sinks.pagerduty?.url, full.SKEWWATCH_PAGERDUTY_URL);
    assert.equal(config.sinks.alertmanager?.url, full.SKEWWATCH_ALERTMANAGER_URL);
    assert.equal(config.state_dir, '/var/lib/skewwatch');
    assert.equal(config.listen, '127.0.0.1:19465');
    assert.equal(config.log_level, 'debug');
    assert.equal(config.declared.haproxy_config, '/etc/haproxy/haproxy.cfg');
    assert.equal(config.remediate.runtime_api, 'unix:/run/haproxy/admin.sock');
    assert.equal(config.shard, '1/3');
  });

  it('SKEWWATCH_SCRAPE_URLS switches to scrape mode with balancer targets', () => {
    const { config } = loadConfig({ env: { SKEWWATCH_SCRAPE_URLS: 'http://lb1:8405/metrics, http://lb2:8405/metrics' } });
    assert.equal(config.source.mode, 'scrape');
    assert.deepEqual(config.source.scrape?.targets.map((t) => [t.url, t.role]), [['http://lb1:8405/metrics', 'balancer'], ['http://lb2:8405/metrics', 'balancer']]);
  });

  it('SKEWWATCH_PAGERDUTY_URL alone does not configure PagerDuty', () => {
    const { config } = loadConfig({ env: { SKEWWATCH_PROMETHEUS_URL: 'http://p:9090', SKEWWATCH_PAGERDUTY_URL: 'https://pd.example.com/v2/enqueue' } });
    assert.equal(config.sinks.pagerduty, undefined);
  });

  it('env wins over the file', () => {
    const { config } = loadConfig({ file: fixture('good-file-secrets.yaml'), env: { SKEWWATCH_INTERVAL: '45s', SKEWWATCH_PROMETHEUS_URL: 'http://other:9090' } });
    assert.equal(config.interval, 45_000);
    assert.equal(config.source.prometheus?.url, 'http://other:9090');
    assert.equal(config.source.prometheus?.bearer_token, 'prom-token-123456', 'the rest of the section is kept');
  });

  const badEnv: Array<[string, string, string, string]> = [
    ['SKEWWATCH_INTERVAL', 'soon', 'interval', 'expected a duration'],
    ['SKEWWATCH_RATE_WINDOW', '1 minute', 'source.rate_window', 'expected a duration'],
    ['SKEWWATCH_PRESET', 'haproxi', 'source.preset', 'expected one of'],
    ['SKEWWATCH_MODE', 'pull', 'source.mode', 'expected one of'],
    ['SKEWWATCH_LOG_LEVEL', 'loud', 'log_level', 'expected one of'],
    ['SKEWWATCH_LISTEN', '9465', 'listen', 'expected host:port'],
    ['SKEWWATCH_PROMETHEUS_URL', 'prometheus:9090', 'source.prometheus.url', 'expected an http:// or https:// URL'],
    ['SKEWWATCH_ALERTMANAGER_URL', 'alertmanager', 'sinks.alertmanager.url', 'expected an http:// or https:// URL'],
  ];
  for (const [name, value, path, message] of badEnv) {
    it(`a bad ${name} is reported as "env ${name}"`, () => {
      const env = { SKEWWATCH_PROMETHEUS_URL: 'http://prometheus:9090', [name]: value };
      assertIssues(issuesOf(undefined, env), '(environment)', [{ file: `env ${name}`, path, message }]);
    });
  }

  it('a bad SKEWWATCH_SCRAPE_URLS entry is reported as "env SKEWWATCH_SCRAPE_URLS"', () => {
    assertIssues(issuesOf(undefined, { SKEWWATCH_SCRAPE_URLS: 'http://lb1:8405/metrics,lb2:8405' }), '(environment)', [
      { file: 'env SKEWWATCH_SCRAPE_URLS', path: 'source.scrape.targets[1].url', message: 'expected an http:// or https:// URL' },
    ]);
  });

  it('a short SKEWWATCH_PAGERDUTY_ROUTING_KEY is reported against the variable, without the key', () => {
    const key = 'short-pd-secret';
    const issues = issuesOf(undefined, { SKEWWATCH_PROMETHEUS_URL: 'http://p:9090', SKEWWATCH_PAGERDUTY_ROUTING_KEY: key });
    assertIssues(issues, '(environment)', [{ file: 'env SKEWWATCH_PAGERDUTY_ROUTING_KEY', path: 'sinks.pagerduty.routing_key', message: 'expected a 32-character integration key' }]);
    assert.ok(!JSON.stringify(issues).includes(key));
  });

  it('with no file and no variables, the Prometheus URL is required', () => {
    assertIssues(issuesOf(undefined, {}), '(environment)', [{ path: 'source.prometheus.url', message: 'SKEWWATCH_PROMETHEUS_URL' }]);
  });
});

describe('secrets', () => {
  it('*_file secrets are read relative to the config file and trimmed', () => {
    const loaded = loadConfig({ file: fixture('good-file-secrets.yaml'), env: {} });
    const { config } = loaded;
    assert.equal(config.source.prometheus?.bearer_token, 'prom-token-123456');
    assert.equal(config.sinks.slack?.webhook_url, 'https://hooks.slack.com/services/TFIX/BFIX/fixturesecret');
    assert.equal(config.sinks.pagerduty?.routing_key, 'fedcba9876543210fedcba9876543210');
    assert.equal(config.sinks.webhooks[0]?.url, 'http://bot.internal:8080/hook');
    assert.deepEqual(loaded.warnings.filter((w) => w.includes('secret written in the file')), []);
  });

  it('a secret written literally in the file loads with a warning', () => {
    const dir = mkdtempSync(join(tmpdir(), 'skewwatch-literal-'));
    try {
      const file = join(dir, 'c.yaml');
      writeFileSync(file, `source: { prometheus: { url: "http://p:9090" } }\nsinks:\n  pagerduty:\n    routing_key: ${PD_KEY}\nrule_files: []\n`);
      const { warnings } = loadConfig({ file, env: {} });
      assert.deepEqual(warnings.filter((w) => /secret/.test(w)), [`${file}: sinks.pagerduty.routing_key: secret written in the file; prefer \${ENV} or routing_key_file`]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('setting both a secret and its _file is an error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'skewwatch-both-'));
    try {
      const file = join(dir, 'c.yaml');
      writeFileSync(join(dir, 'key'), PD_KEY);
      writeFileSync(file, 'source: { prometheus: { url: "http://p:9090" } }\nsinks:\n  pagerduty:\n    routing_key: ${PD}\n    routing_key_file: key\n');
      assertIssues(issuesOf(file, { PD: PD_KEY }), file, [{ line: 5, path: 'sinks.pagerduty.routing_key_file', message: 'set only one of routing_key or routing_key_file' }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('secrets never appear in any ConfigError message', () => {
    const dir = mkdtempSync(join(tmpdir(), 'skewwatch-secrets-'));
    const secrets = {
      slackEnv: 'not-a-url-SECRET-slack-env-1',
      pdEnv: 'SECRET-pd-env-22',
      slackFile: 'ftp://SECRET-slack-file-3/x',
      pdFile: 'SECRET-pd-file-4444',
      webhookFile: 'webhook-SECRET-file-5',
      bearer: 'SECRET-bearer-66666',
      password: 'SECRET-password-7',
    };
    try {
      writeFileSync(join(dir, 'slack'), `${secrets.slackFile}\n`);
      writeFileSync(join(dir, 'pd'), `${secrets.pdFile}\n`);
      writeFileSync(join(dir, 'hook'), `${secrets.webhookFile}\n`);
      const fromFiles = join(dir, 'files.yaml');
      writeFileSync(fromFiles, [
        'source:',
        '  prometheus:',
        '    url: http://p:9090',
        '    bearer_token: ${BEARER}',
        '    basic_auth: { username: u, password: "${PASSWORD}" }',
        'sinks:',
        '  slack: { webhook_url_file: slack }',
        '  pagerduty: { routing_key_file: pd }',
        '  webhooks: [{ name: hook, url_file: hook }]',
        'rule_files: []',
        '',
      ].join('\n'));
      const fromEnv = join(dir, 'env.yaml');
      writeFileSync(fromEnv, [
        'source: { prometheus: { url: "http://p:9090" } }',
        'sinks:',
        '  slack: { webhook_url: "${SLACK}" }',
        '  pagerduty: { routing_key: "${PD}" }',
        'rule_files: []',
        '',
      ].join('\n'));
      const env = { SLACK: secrets.slackEnv, PD: secrets.pdEnv, BEARER: secrets.bearer, PASSWORD: secrets.password, SKEWWATCH_TEST_PD_KEY: secrets.pdEnv };
      const errors: ConfigError[] = [];
      const collect = (file: string | undefined, e: NodeJS.ProcessEnv) => {
        try {
          loadConfig({ ...(file ? { file } : {}), env: e });
        } catch (err) {
          if (err instanceof ConfigError) errors.push(err);
          else throw err;
        }
      };
      collect(fromFiles, env);
      collect(fromEnv, env);
      collect(undefined, { SKEWWATCH_PROMETHEUS_URL: 'http://p:9090', SKEWWATCH_SLACK_WEBHOOK_URL: secrets.slackEnv, SKEWWATCH_PAGERDUTY_ROUTING_KEY: secrets.pdEnv });
      collect(undefined, { SKEWWATCH_PROMETHEUS_URL: 'http://p:9090', SKEWWATCH_PAGERDUTY_ROUTING_KEY: secrets.pdEnv });
      for (const f of readdirSync(FIXTURES).filter((n) => n.startsWith('bad-'))) collect(fixture(f), env);

      // The first four really fail on the secrets themselves (schema errors
      // stop loading before the cross-checks, hence one issue in the 2nd and 3rd).
      assert.deepEqual(errors[0]!.issues.map((i) => i.path), ['sinks.slack.webhook_url_file', 'sinks.webhooks[0].url_file', 'sinks.pagerduty.routing_key']);
      assert.deepEqual(errors[1]!.issues.map((i) => i.path), ['sinks.slack.webhook_url']);
      assert.deepEqual(errors[2]!.issues.map((i) => i.file), ['env SKEWWATCH_SLACK_WEBHOOK_URL']);
      assert.deepEqual(errors[3]!.issues.map((i) => i.file), ['env SKEWWATCH_PAGERDUTY_ROUTING_KEY']);
      assert.ok(errors.length >= 4 + 20);
      for (const e of errors) {
        const text = `${e.message}\n${JSON.stringify(e.issues)}`;
        for (const s of Object.values(secrets)) assert.ok(!text.includes(s), `secret ${s} leaked into:\n${text}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** Runs the CLI in-process with captured output. */
async function cli(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  const sink = () => {
    const chunks: string[] = [];
    const stream = new Writable({ write(chunk: Buffer | string, _enc, cb) { chunks.push(chunk.toString()); cb(); } });
    return { stream, text: () => chunks.join('') };
  };
  const out = sink();
  const err = sink();
  const code = await main(argv, { out: out.stream, err: err.stream, env });
  return { code, out: out.text(), err: err.text() };
}

describe('skewwatch validate', () => {
  for (const name of exampleConfigs) {
    // The Kubernetes example reads the in-cluster CA file, which exists only
    // in a pod: outside one, validate says so (as the daemon would at start).
    if (name === 'kubernetes.yaml') {
      it('rejects alerts/examples/kubernetes.yaml outside a pod, naming the missing in-cluster CA file', async () => {
        const r = await cli(['validate', '--config', join(EXAMPLES, name)], exampleEnv);
        assert.equal(r.code, 1, r.out);
        assert.match(r.err, /^invalid configuration \(1 problem\):\n {2}source: ENOENT: no such file or directory, open '\/var\/run\/secrets\/kubernetes\.io\/serviceaccount\/ca\.crt'\n$/);
      });
      continue;
    }
    it(`exits 0 with a summary for alerts/examples/${name}`, async () => {
      const file = join(EXAMPLES, name);
      const r = await cli(['validate', '--config', file], exampleEnv);
      assert.equal(r.code, 0, r.err);
      assert.equal(r.err, '');
      assert.match(r.out, new RegExp(`^valid: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      assert.match(r.out, /\n {2}source: (prometheus|scrape) mode, preset \w+, every \d+s\n/);
      assert.match(r.out, /\n {2}rules: \w/);
      assert.match(r.out, /\n {2}sinks: /);
    });
  }

  // Issue 11 item 6: what building would reject, validate rejects.
  for (const [what, env, expected] of [
    ['a missing tls.ca_file', { SKEWWATCH_PROMETHEUS_URL: 'https://p:9090' }, /source: ENOENT: no such file or directory, open '\/nonexistent\/ca\.pem'/],
    ['a Slack URL without a path', { SKEWWATCH_PROMETHEUS_URL: 'http://p:9090', SKEWWATCH_SLACK_WEBHOOK_URL: 'https://chat.example.com' }, /sinks: slack: webhookUrl has no path/],
    ['an Alertmanager URL with credentials', { SKEWWATCH_PROMETHEUS_URL: 'http://p:9090', SKEWWATCH_ALERTMANAGER_URL: 'http://user:pw1234567@am:9093' }, /sinks: alertmanager: put credentials in basicAuth, not in the url/],
  ] as const) {
    it(`rejects a config that validates but cannot be built: ${what}`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'skewwatch-build-'));
      try {
        const file = join(dir, 'c.yaml');
        writeFileSync(file, what === 'a missing tls.ca_file' ? 'source:\n  prometheus:\n    tls: { ca_file: /nonexistent/ca.pem }\n' : 'namespace: t\n');
        const r = await cli(['validate', '--config', file], env);
        assert.equal(r.code, 1, r.out);
        assert.match(r.err, expected);
        assert.ok(!r.err.includes('pw1234567'), 'no secret in the message');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it('prints the summary of a config given only by environment variables', async () => {
    const r = await cli(['validate'], { SKEWWATCH_PROMETHEUS_URL: 'http://p:9090', SKEWWATCH_SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/A/B/c' });
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /source: prometheus mode, preset haproxy, every 15s/);
    assert.match(r.out, /rules: TrafficSkew, TrafficSkewCritical, PoolDown, PoolCapacityLoss, LoadBalancerConfigDrift, LoadBalancerConfigDriftCritical, SkewwatchBlind/);
    assert.match(r.out, /sinks: slack\n/);
    assert.match(r.out, /warning: rules send to sinks that are not configured, so those notifications are skipped: alertmanager \(TrafficSkew, TrafficSkewCritical, PoolDown, PoolCapacityLoss, LoadBalancerConfigDrift, LoadBalancerConfigDriftCritical, SkewwatchBlind, SkewwatchSignalMissing, SkewwatchNoPools\); pagerduty \(TrafficSkewCritical, PoolDown, PoolCapacityLoss, LoadBalancerConfigDriftCritical\)\n/);
    assert.equal(r.out.split("\n").filter((l) => /not configured/.test(l)).length, 1, "said once");
  });

  it('exits 1 and lists every problem of a bad config', async () => {
    const file = fixture('bad-several.yaml');
    const r = await cli(['validate', '--config', file]);
    assert.equal(r.code, 1);
    assert.equal(r.out, '');
    const lines = r.err.trimEnd().split('\n');
    assert.equal(lines[0], 'invalid configuration (4 problems):');
    assert.deepEqual(lines.slice(1).map((l) => l.split(': ').slice(0, 2).join(': ')), [
      `  ${file}:2: interval`,
      `  ${file}:6: source.preset`,
      `  ${file}:5: source.prometheus.url`,
      `  ${file}:7: sinkz`,
    ]);
  });

  for (const name of readdirSync(FIXTURES).filter((n) => n.startsWith('bad-')).sort()) {
    it(`exits 1 for ${name}`, async () => {
      const r = await cli(['validate', '--config', fixture(name)], { SKEWWATCH_TEST_PD_KEY: 'short-key' });
      assert.equal(r.code, 1, r.out);
      assert.match(r.err, /^invalid configuration \(\d+ problems?\):\n {2}\S/);
    });
  }

  it('rejects an unknown option with usage (exit 2)', async () => {
    const r = await cli(['validate', '--confg', 'x.yaml']);
    assert.equal(r.code, 2);
    assert.match(r.err, /Usage: skewwatch validate/);
  });
});

describe('skewwatch --help', () => {
  it('top-level help lists every command', async () => {
    const r = await cli(['--help']);
    assert.equal(r.code, 0);
    for (const c of ['run', 'check', 'validate', 'silence']) assert.match(r.out, new RegExp(`\\n {2}${c} +\\S`));
  });

  for (const command of ['run', 'check', 'validate', 'silence']) {
    for (const flag of ['--help', '-h']) {
      it(`${command} ${flag} prints usage and exits 0`, async () => {
        const r = await cli([command, flag]);
        assert.equal(r.code, 0, r.err);
        assert.equal(r.err, '');
        assert.match(r.out, new RegExp(`Usage:[\\s\\S]*skewwatch ${command}`));
        assert.match(r.out, /-h, --help/);
      });
    }
  }

  it('an unknown command exits 2 with the help', async () => {
    const r = await cli(['frobnicate']);
    assert.equal(r.code, 2);
    assert.match(r.err, /unknown command "frobnicate"/);
  });
});

describe('CPU signal', () => {
  it('warns when nothing can tell a wrong weight from an intended one, and not when CPU is configured', () => {
    const base = { SKEWWATCH_PROMETHEUS_URL: 'http://prometheus:9090' };
    assert.ok(loadConfig({ env: base }).warnings.some((w) => /no CPU query .*a wrong weight is not/.test(w)));
    const withCpu = loadConfig({ env: { ...base, SKEWWATCH_CPU_QUERY: 'sum by (proxy, server) (rate(process_cpu_seconds_total[{{window}}]))' } });
    assert.equal(withCpu.warnings.filter((w) => /CPU/.test(w)).length, 0);
    assert.equal(withCpu.config.source.queries?.cpu, 'sum by (proxy, server) (rate(process_cpu_seconds_total[{{window}}]))');
    assert.ok(loadConfig({ env: { SKEWWATCH_SCRAPE_URLS: 'http://lb:8404/metrics' } }).warnings.some((w) => /no cpu scrape targets/.test(w)));
  });
});
