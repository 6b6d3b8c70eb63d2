// The CLI conventions an SRE expects: --version/-v (from package.json, listed
// in --help), SKEWWATCH_CONFIG, negative relative times (--from -2h),
// silences "forever", shell completions and the man page from the help text,
// `validate --rules`, `--allow-missing-env`, and warnings said once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { main, HELP, commandHelps } from '../../src/cli.js';
import { joinNegativeValues } from '../../src/cli/args.js';
import { completionScript, optionsOf } from '../../src/cli/completion.js';
import { manPage } from '../../src/cli/man.js';
import { readSilenceFile } from '../../src/state/silences.js';
import { listenLoopback } from '../../src/util/listen.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };

async function cli(argv: string[], env: NodeJS.ProcessEnv = {}) {
  let out = '';
  let err = '';
  const code = await main(argv, {
    out: new Writable({ write(c, _e, cb) { out += String(c); cb(); } }),
    err: new Writable({ write(c, _e, cb) { err += String(c); cb(); } }),
    env,
  });
  return { code, out, err };
}

test('--version and -v print the version from package.json, and --help lists both', async () => {
  for (const flag of ['--version', '-v']) {
    const r = await cli([flag]);
    assert.equal(r.code, 0);
    assert.equal(r.out, `skewwatch ${PKG.version}\n`);
  }
  assert.match(HELP, /-v, --version\s+print the version/);
  assert.match(HELP, /^\s+completion\s/m);
});

test('SKEWWATCH_CONFIG is the environment form of --config; the flag wins', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skewwatch-cli-'));
  const a = join(dir, 'a.yaml');
  const b = join(dir, 'b.yaml');
  writeFileSync(a, 'interval: 7s\nsource: { prometheus: { url: "http://127.0.0.1:1" } }\n');
  writeFileSync(b, 'interval: 9s\nsource: { prometheus: { url: "http://127.0.0.1:1" } }\n');
  const fromEnv = await cli(['validate'], { SKEWWATCH_CONFIG: a });
  assert.equal(fromEnv.code, 0, fromEnv.err);
  assert.match(fromEnv.out, /^valid: .*a\.yaml/);
  assert.match(fromEnv.out, /every 7s/);
  const flag = await cli(['validate', '--config', b], { SKEWWATCH_CONFIG: a });
  assert.match(flag.out, /every 9s/);
});

test('a string option takes a negative relative time as its value', () => {
  const opts = { from: { type: 'string' }, json: { type: 'boolean' } } as const;
  assert.deepEqual(joinNegativeValues(['--from', '-2h', '--json'], opts), ['--from=-2h', '--json']);
  // Only for string options, and only for values that look like -<digit>.
  assert.deepEqual(joinNegativeValues(['--json', '-2h'], opts), ['--json', '-2h']);
  assert.deepEqual(joinNegativeValues(['--from', '-h'], opts), ['--from', '-h']);
});

test('replay --from -2h --to -1h queries Prometheus for that range', async () => {
  const asked: URLSearchParams[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/api/v1/query_range') asked.push(url.searchParams);
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [] } }));
  });
  const port = await listenLoopback(server);
  try {
    const before = Date.now();
    const r = await cli(['replay', '--from', '-2h', '--to', '-1h', '--step', '1m', '--json'], { SKEWWATCH_PROMETHEUS_URL: `http://127.0.0.1:${port}` });
    // An empty range finds no pools (SkewwatchNoPools may fire: exit 1); what
    // matters here is that -2h was taken as a time, not as an option (exit 2).
    assert.notEqual(r.code, 2, r.err);
    assert.ok(asked.length > 0, 'asked Prometheus');
    const start = Math.min(...asked.map((p) => Number(p.get('start'))));
    assert.ok(Math.abs(start * 1000 - (before - 2 * 3_600_000)) < 120_000, `start ${start} is about two hours ago`);
  } finally {
    server.close();
  }
});

test('silence add --duration forever lasts until expired', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skewwatch-silence-'));
  const r = await cli(['silence', 'add', '--state-dir', dir, '--duration', 'forever', '--comment', 'decommissioned pool', '--pool', 'be_old']);
  assert.equal(r.code, 0, r.err);
  const [s] = readSilenceFile(dir);
  assert.ok(s!.endsAt > Date.parse('9000-01-01T00:00:00Z'));
  const l = await cli(['silence', 'list', '--state-dir', dir]);
  assert.match(l.out, /be_old .*forever/);
  const bad = await cli(['silence', 'add', '--state-dir', dir, '--duration', 'soon', '--comment', 'x']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--duration: expected a duration such as 30m or 2h, or forever; got "soon"/);
});

test('completion scripts list every command and the options its --help documents', async () => {
  const helps = await commandHelps();
  assert.deepEqual(optionsOf('Options:\n  -c, --config FILE  x\n      --json  y\nsee also run --record'), ['--config', '--json']);
  const replay = helps.find((h) => h.name === 'replay')!;
  assert.ok(optionsOf(replay.help).includes('--from'));
  for (const shell of ['bash', 'zsh', 'fish'] as const) {
    const script = completionScript(shell, helps);
    for (const h of helps) assert.ok(script.includes(h.name), `${shell} names ${h.name}`);
    assert.ok(script.includes('from'), `${shell} completes --from`);
  }
  const r = await cli(['completion', 'tcsh']);
  assert.equal(r.code, 2);
  assert.match(r.err, /expected one of bash, zsh, fish/);
});

test('the bash completion really completes in bash', async (t) => {
  if (spawnSync('bash', ['--version']).status !== 0) return t.skip('no bash');
  const script = (await cli(['completion', 'bash'])).out;
  const complete = (words: string[]) => {
    const r = spawnSync('bash', ['-c', `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _skewwatch; printf '%s\\n' "\${COMPREPLY[@]}"`], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim().split('\n');
  };
  assert.deepEqual(complete(['skewwatch', 'rep']), ['replay']);
  assert.ok(complete(['skewwatch', 'replay', '--fr']).includes('--from'));
  assert.deepEqual(complete(['skewwatch', 'silence', 'ex']), ['expire']);
  assert.deepEqual(complete(['skewwatch', 'demo', '--scenario', 'sti']), ['sticky-clients']);
});

test('the man page is the help text in roff, and man renders it without warnings', async (t) => {
  const helps = await commandHelps();
  const page = manPage({ version: PKG.version, help: HELP, commands: helps, date: '2026-12-01' });
  assert.match(page, /^\.TH SKEWWATCH 1 "2026-12-01" "skewwatch /);
  for (const h of helps) assert.ok(page.includes(`.SS ${h.name}`), h.name);
  if (spawnSync('groff', ['--version']).status !== 0) return t.skip('no groff');
  const r = spawnSync('groff', ['-man', '-Tutf8', '-ww', '-z'], { input: page, encoding: 'utf8' });
  assert.equal(r.stderr, '', 'groff warnings');
  const text = spawnSync('groff', ['-man', '-Tascii', '-P', '-c'], { input: page, encoding: 'utf8' }).stdout.replace(/.\x08/g, '');
  // What --help says, man says: every documented option of every command.
  for (const h of helps) for (const opt of optionsOf(h.help)) assert.ok(text.includes(opt), `man page lists ${h.name} ${opt}`);
  assert.ok(text.includes('--allow-missing-env'));
});

test('validate --rules checks a rule file alone', async () => {
  const ok = await cli(['validate', '--rules', join(ROOT, 'alerts/default.yaml')]);
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out, /rules: TrafficSkew, TrafficSkewCritical, PoolDown, PoolCapacityLoss, LoadBalancerConfigDrift, LoadBalancerConfigDriftCritical, SkewwatchBlind, SkewwatchSignalMissing, SkewwatchNoPools\n/);
  const dir = mkdtempSync(join(tmpdir(), 'skewwatch-rules-'));
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'rules:\n  - id: A\n    when: { stat: severity, above: 1 }\n    severity: loud\n    sinks: [slack]\n  - id: A\n    when: { stat: severity, above: 1 }\n    severity: warning\n    sinks: [slack]\n');
  const r = await cli(['validate', '--rules', bad]);
  assert.equal(r.code, 1);
  assert.match(r.err, /bad\.yaml:\d+: rules\[0\]\.severity: /);
  const dup = join(dir, 'dup.yaml');
  writeFileSync(dup, 'rules:\n  - id: A\n    when: { stat: severity, above: 1 }\n    severity: warning\n    sinks: [slack]\n  - id: A\n    when: { stat: severity, above: 1 }\n    severity: warning\n    sinks: [slack]\n');
  const d = await cli(['validate', '--rules', dup]);
  assert.equal(d.code, 1);
  assert.match(d.err, /dup\.yaml:6: rules\[1\] \(A\)\.id: duplicate rule id "A"/);
});

test('validate --allow-missing-env reports unset variables as placeholders and still finds real errors', async () => {
  const example = join(ROOT, 'alerts/examples/haproxy-prometheus.yaml');
  const strict = await cli(['validate', '--config', example]);
  assert.equal(strict.code, 1, 'without the flag an unset variable is an error');
  const r = await cli(['validate', '--config', example, '--allow-missing-env']);
  assert.equal(r.code, 0, r.err);
  for (const v of ['PROMETHEUS_URL', 'PROMETHEUS_PASSWORD_FILE', 'SLACK_WEBHOOK_URL', 'PAGERDUTY_ROUTING_KEY_FILE', 'OPS_BOT_URL']) {
    assert.match(r.out, new RegExp(`placeholder: \\$\\{${v}\\} is not set \\(.*haproxy-prometheus\\.yaml:\\d+: `), v);
  }
  assert.doesNotMatch(r.out, /placeholder\.invalid|ppppp/, 'stand-in values are not printed');
  const dir = mkdtempSync(join(tmpdir(), 'skewwatch-env-'));
  const file = join(dir, 'c.yaml');
  writeFileSync(file, 'interval: 15 seconds\nsource: { prometheus: { url: "${PROM_URL}" } }\nsinks: { slack: { webhook_url: "${SLACK_URL}" } }\n');
  const bad = await cli(['validate', '--config', file, '--allow-missing-env']);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /c\.yaml:1: interval: expected a duration/);
  assert.doesNotMatch(bad.err, /PROM_URL|SLACK_URL/);
});

test('rules naming unconfigured sinks are reported in one line', async () => {
  const r = await cli(['validate'], { SKEWWATCH_PROMETHEUS_URL: 'http://127.0.0.1:1' });
  assert.equal(r.code, 0, r.err);
  const lines = r.out.split('\n').filter((l) => /not configured/.test(l));
  assert.deepEqual(lines, ['  warning: rules send to sinks that are not configured, so those notifications are skipped: alertmanager (TrafficSkew, TrafficSkewCritical, PoolDown, PoolCapacityLoss, LoadBalancerConfigDrift, LoadBalancerConfigDriftCritical, SkewwatchBlind, SkewwatchSignalMissing, SkewwatchNoPools); pagerduty (TrafficSkewCritical, PoolDown, PoolCapacityLoss, LoadBalancerConfigDriftCritical); slack (TrafficSkew, TrafficSkewCritical, PoolDown, PoolCapacityLoss, LoadBalancerConfigDrift, LoadBalancerConfigDriftCritical, SkewwatchBlind, SkewwatchSignalMissing, SkewwatchNoPools)']);
});

test('print-receiver answers like Slack and PagerDuty, prints what they got, and stops on SIGTERM', async () => {
  const { printReceiverCommand, parseListen } = await import('../../src/cli/receiver.js');
  const { EventEmitter } = await import('node:events');
  assert.deepEqual(parseListen('0.0.0.0:9099'), { host: '0.0.0.0', port: 9099 });
  assert.throws(() => parseListen('9099'), /expected HOST:PORT/);
  let out = '';
  let err = '';
  const signals = new EventEmitter();
  const done = printReceiverCommand(['--listen', '127.0.0.1:0'], {
    out: new Writable({ write(c, _e, cb) { out += String(c); cb(); } }),
    err: new Writable({ write(c, _e, cb) { err += String(c); cb(); } }),
    env: {},
  }, signals);
  const end = Date.now() + 5000;
  while (!/listening on 127\.0\.0\.1:(\d+)/.test(err) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  const port = /listening on 127\.0\.0\.1:(\d+)/.exec(err)![1];
  const slack = await fetch(`http://127.0.0.1:${port}/slack`, { method: 'POST', body: JSON.stringify({ text: 'TrafficSkew in be_app' }) });
  assert.equal(slack.status, 200);
  assert.equal(await slack.text(), 'ok');
  const pd = await fetch(`http://127.0.0.1:${port}/pagerduty/v2/enqueue`, { method: 'POST', body: JSON.stringify({ routing_key: 'k'.repeat(32), event_action: 'trigger', payload: { summary: 'overload', source: 'lab', severity: 'critical' } }) });
  assert.equal(pd.status, 202);
  assert.match(out, /SLACK .*TrafficSkew in be_app|SLACK/);
  assert.match(out, /PAGERDUTY trigger critical: overload/);
  signals.emit('SIGTERM');
  assert.equal(await done, 0);
});
