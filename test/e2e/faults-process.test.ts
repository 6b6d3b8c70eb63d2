// Fault injection, process and disk side (issue 11 items 4-8, 15): the
// daemon as an OS process (`node dist/cli.js run`) against a fake
// Prometheus the test controls.
//
// Start-up: a state dir under /proc or below a file, a second instance on
// one state dir, a port in use: each exits at once, non-zero, with a clear
// message. Running: `promtool check metrics` on its /metrics; SIGHUP with a
// config that validates but cannot be built keeps it running; the state dir
// breaking mid-incident keeps it paging from memory; SIGTERM ends it with
// its last log line written. Disk: a full disk (ulimit -f) never replaces the
// good state file, so a restart after SIGKILL neither forgets the page nor
// pages again; a corrupt state file is moved aside, never deleted. Pipes:
// output into a closed pipe ends quietly.
//
// Run: npm run build && node --import tsx --test test/e2e/faults-process.test.ts (~60 s)
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort, makeTempDir, removeTempDir, sleep, waitFor, type ProcessHandle } from './harness/index.js';
import { startPagerDutyReceiver, type PagerDutyReceiver } from '../fakes/receivers/index.js';
import { CLI, REPO_ROOT, cleanEnv, httpGet, jsonLines, metricValue, runCli, startDaemon, writeFile } from './support/skewwatch.js';
import { BALANCED, SKEWED, sourceYaml, startFaultSource, type FaultSource } from './support/fault-source.js';

const ROUTING_KEY = 'fa01bdc0b2a19f8e7d6c5b4a39281706';
const PROMTOOL = process.env.PROMTOOL ?? '/usr/bin/promtool';

describe('process and disk faults', { timeout: 240_000 }, () => {
  let dir = '';
  let src: FaultSource;
  let pd: PagerDutyReceiver;
  let env: NodeJS.ProcessEnv;
  const running: ProcessHandle[] = [];

  const config = (name: string, o: { listen: string; stateDir: string; extra?: string[] }) =>
    writeFile(path.join(dir, `${name}.yaml`), [
      'namespace: e2e-process-faults',
      'interval: 1s',
      `listen: ${o.listen}`,
      `state_dir: ${o.stateDir}`,
      'rule_files: [rules.yaml]',
      ...sourceYaml(src.url),
      ...(o.extra ?? []),
      'delivery: { initial_backoff: 500ms }',
      '',
    ].join('\n'));

  before(async () => {
    dir = makeTempDir('skewwatch-e2e-process-faults-');
    src = await startFaultSource();
    pd = await startPagerDutyReceiver({ routingKeys: [ROUTING_KEY] });
    writeFile(path.join(dir, 'rules.yaml'), 'rules:\n  - { id: Page, when: { stat: severity, above: 1.5, resolve_below: 0.5 }, for: 1s, severity: critical, sinks: [pagerduty] }\n');
    env = cleanEnv({ SKEWWATCH_PAGERDUTY_ROUTING_KEY: ROUTING_KEY, SKEWWATCH_PAGERDUTY_URL: pd.url });
  });
  after(async () => {
    await Promise.allSettled(running.map((p) => p.stop()));
    await Promise.allSettled([src?.close(), pd?.close()]);
    if (dir) removeTempDir(dir);
  });

  it('start-up faults exit at once, non-zero, with a clear message', async (t) => {
    const listen = `127.0.0.1:${await freePort()}`;
    fs.writeFileSync(path.join(dir, 'a-file'), 'x');
    for (const [what, stateDir, expected] of [
      ['state dir under /proc', '/proc/skewwatch-e2e/state', /state directory \/proc\/skewwatch-e2e\/state is not usable \(ENOENT\)/],
      ['state dir below a file', path.join(dir, 'a-file', 'state'), /is not usable \(ENOTDIR\)/],
    ] as const) {
      const r = await runCli(['run', '--config', config('startup', { listen, stateDir })], env, 15_000);
      assert.equal(r.code, 2, `${what}: ${r.stderr}`);
      assert.match(r.stderr, expected);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      assert.ok(r.durationMs < 5000, `${what}: exited in ${r.durationMs} ms`);
      t.diagnostic(`${what}: exit 2 in ${r.durationMs} ms`);
    }
    // A port in use (another process listens there).
    const blocker = createServer();
    const port = await freePort();
    await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', r));
    try {
      const r = await runCli(['run', '--config', config('port', { listen: `127.0.0.1:${port}`, stateDir: path.join(dir, 'state-port') })], env, 15_000);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: the address is already in use`));
      assert.ok(r.durationMs < 5000, `port in use: exited in ${r.durationMs} ms`);
      t.diagnostic(`port in use: exit 2 in ${r.durationMs} ms`);
    } finally {
      blocker.close();
    }
  });

  it('a second instance on one state dir is refused; the first keeps running', async () => {
    const stateDir = path.join(dir, 'state-shared');
    const base = `http://127.0.0.1:${await freePort()}`;
    const first = await startDaemon({ args: ['--config', config('first', { listen: base.slice(7), stateDir })], env, logFile: path.join(dir, 'first.log'), baseUrl: base });
    running.push(first);
    const r = await runCli(['run', '--config', config('second', { listen: `127.0.0.1:${await freePort()}`, stateDir })], env, 15_000);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /is in use by another skewwatch \(pid \d+ on /);
    assert.equal((await httpGet(`${base}/healthz`)).status, 200);
    await first.stop();
  });

  it('running: promtool check metrics passes; SIGHUP with an unbuildable config keeps it running; the state dir breaking keeps it paging; SIGTERM writes the last line', async (t) => {
    const stateDir = path.join(dir, 'state-run');
    const base = `http://127.0.0.1:${await freePort()}`;
    const cfg = config('run', { listen: base.slice(7), stateDir });
    const d = await startDaemon({ args: ['--config', cfg], env, logFile: path.join(dir, 'run.log'), baseUrl: base });
    running.push(d);
    await waitFor('first cycle', async () => metricValue((await httpGet(`${base}/metrics`)).body, 'skewwatch_cycles_total', { outcome: 'ok' }) !== undefined, 10_000, 200);

    // Item 15: the real promtool on the live exposition.
    if (fs.existsSync(PROMTOOL)) {
      const text = (await httpGet(`${base}/metrics`)).body;
      const r = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 30_000 });
      assert.equal(r.status, 0, `promtool check metrics: ${r.stdout}${r.stderr}`);
      assert.ok(metricValue(text, 'process_start_time_seconds') !== undefined, 'standard process metric names');
      assert.equal(metricValue(text, 'skewwatch_config_last_reload_successful'), 1);
    } else {
      t.diagnostic(`promtool missing at ${PROMTOOL}: metrics lint skipped`);
    }

    // Item 6: validates, cannot be built.
    fs.writeFileSync(cfg, fs.readFileSync(cfg, 'utf8').replace('    timeout: 1s', '    timeout: 1s\n    tls: { ca_file: /nonexistent/ca.pem }'));
    process.kill(d.pid, 'SIGHUP');
    await waitFor('reload rejected', () => jsonLines(d.logs()).some((l) => l.msg === 'config reload rejected: the previous config keeps running'), 5000, 100);
    await sleep(1500);
    assert.ok(d.running(), 'still running after the rejected reload');
    assert.equal((await httpGet(`${base}/healthz`)).status, 200);
    assert.equal(metricValue((await httpGet(`${base}/metrics`)).body, 'skewwatch_config_last_reload_successful'), 0);

    // Item 4: the state dir breaks mid-incident (replaced by a file).
    fs.rmSync(stateDir, { recursive: true, force: true });
    fs.writeFileSync(stateDir, 'not a directory');
    const triggersBefore = pd.events.filter((e) => e.event_action === 'trigger').length;
    src.state.pools.be_app = { ...SKEWED };
    await waitFor('page from memory', () => pd.events.filter((e) => e.event_action === 'trigger').length === triggersBefore + 1, 15_000, 200);
    const metrics = (await httpGet(`${base}/metrics`)).body;
    assert.equal(metricValue(metrics, 'skewwatch_state_save_failing'), 1);
    assert.ok((metricValue(metrics, 'skewwatch_state_save_errors_total') ?? 0) >= 3);
    const saveErrors = jsonLines(d.logs()).filter((l) => String(l.msg).startsWith('cannot persist state'));
    assert.equal(saveErrors.length, 1, 'logged once, not every cycle');
    fs.rmSync(stateDir);
    await waitFor('state saved again', () => jsonLines(d.logs()).some((l) => l.msg === 'state saved again'), 5000, 100);
    src.state.pools.be_app = { ...BALANCED };
    await waitFor('resolve', () => pd.events.filter((e) => e.event_action === 'resolve').length >= 1, 15_000, 200);

    // Item 8: SIGTERM, and the last line is in the log.
    const info = await d.stop(15_000);
    assert.deepEqual(info, { code: 0, signal: null });
    const lines = jsonLines(d.logs());
    assert.equal(lines.at(-1)?.msg, 'stopped', 'the last log line was flushed before exit');
  });

  it('a full disk (ulimit -f) never replaces the good state: after SIGKILL a restart neither forgets the page nor pages again', async (t) => {
    const stateDir = path.join(dir, 'state-full');
    const base = `http://127.0.0.1:${await freePort()}`;
    const cfg = config('full', { listen: base.slice(7), stateDir });
    // 20 pools: the state (alerts, outbox, per-pool history) outgrows 8 KiB within a few cycles.
    const quiet = Object.fromEntries(Array.from({ length: 19 }, (_, i) => [`be_q${i}`, { ...BALANCED }]));
    src.state.pools = { be_app: { ...SKEWED }, ...quiet };
    const triggers = () => pd.events.filter((e) => e.event_action === 'trigger').length;
    const resolves = () => pd.events.filter((e) => e.event_action === 'resolve').length;
    const t0 = triggers();
    const r0 = resolves();
    // Pipes, not files, for its output: ulimit -f limits the files it writes, not pipes.
    const child = spawn('bash', ['-c', `ulimit -f 8; exec "${process.execPath}" "${CLI}" run --config "${cfg}"`], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (out += s));
    try {
      await waitFor('page', () => triggers() === t0 + 1, 15_000, 200);
      // The state grows with the history each cycle: past 8 KiB, saves fail.
      await waitFor('a failed save', () => out.includes('cannot persist state'), 30_000, 250);
      const good = fs.readFileSync(path.join(stateDir, 'state.json'), 'utf8');
      JSON.parse(good); // whole, not truncated
      assert.ok(good.length <= 8192, `state ${good.length} bytes (bash ulimit -f counts KiB)`);
      t.diagnostic(`last good state: ${good.length} bytes`);
    } finally {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('close', r));
    }
    assert.deepEqual(fs.readdirSync(stateDir).filter((f) => f.includes('.tmp-')), [], 'no temp file left behind');
    const d = await startDaemon({ args: ['--config', cfg], env, logFile: path.join(dir, 'full-restart.log'), baseUrl: base });
    running.push(d);
    await waitFor('state restored', () => jsonLines(d.logs()).some((l) => l.msg === 'state restored'), 10_000, 100);
    assert.ok(!d.logs().includes('corrupt'), 'the state file was not discarded');
    await sleep(3000);
    assert.equal(triggers(), t0 + 1, 'no second page after the restart');
    src.state.pools = { be_app: { ...BALANCED }, ...quiet };
    await waitFor('resolve after restart', () => resolves() === r0 + 1, 15_000, 200);
    await d.stop();
  });

  it('a corrupt state file is moved aside and reported; the daemon starts', async () => {
    const stateDir = path.join(dir, 'state-corrupt');
    fs.mkdirSync(stateDir, { recursive: true });
    fs.writeFileSync(path.join(stateDir, 'state.json'), '{"version":1,"evaluator":{"alerts":{');
    const base = `http://127.0.0.1:${await freePort()}`;
    const d = await startDaemon({ args: ['--config', config('corrupt', { listen: base.slice(7), stateDir })], env, logFile: path.join(dir, 'corrupt.log'), baseUrl: base });
    running.push(d);
    await waitFor('corrupt logged', () => jsonLines(d.logs()).some((l) => String(l.msg).startsWith('state file is corrupt')), 5000, 100);
    assert.equal(fs.readdirSync(stateDir).filter((f) => f.startsWith('state.json.corrupt-')).length, 1, 'kept as evidence');
    await d.stop();
  });

  it('output into a closed pipe ends quietly', () => {
    writeFile(path.join(dir, 'rules-ok.yaml'), `source: { prometheus: { url: ${src.url} } }\n`);
    // validate, check and run (the commands of this part; `| true` closes the pipe before the first write).
    for (const cmd of [`"${process.execPath}" "${CLI}" validate --config "${path.join(dir, 'rules-ok.yaml')}"`, `"${process.execPath}" "${CLI}" run --help`, `"${process.execPath}" "${CLI}" check --help`]) {
      const r = spawnSync('bash', ['-c', `${cmd} | true`], { cwd: REPO_ROOT, env, encoding: 'utf8', timeout: 20_000 });
      assert.equal(r.stderr, '', `${cmd}: ${r.stderr}`);
    }
  });
});
