// Fault injection, crash side (issue 11): the daemon process SIGKILLed at
// 50 seeded points across ten incidents (fault, page, repair, resolve) and
// restarted at once each time, on the same state dir. Proves: no page and
// no resolve is lost, at most one duplicate per kill, and the state file is
// never discarded (no "corrupt" move-aside). The source is a fake Prometheus
// the test controls (test/e2e/support/fault-source.ts), for speed: 50 real
// kills and restarts of the real daemon binary, fake source and PagerDuty
// receiver (answering as PagerDuty documents).
//
// Run: npm run build && node --import tsx --test test/e2e/faults-crash.test.ts (~90 s)
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort, makeTempDir, removeTempDir, sleep, startProcess, waitFor, type ProcessHandle } from './harness/index.js';
import { startPagerDutyReceiver, type PagerDutyReceiver } from '../fakes/receivers/index.js';
import { CLI, REPO_ROOT, cleanEnv, getJson, writeFile } from './support/skewwatch.js';
import { BALANCED, SKEWED, sourceYaml, startFaultSource, type FaultSource } from './support/fault-source.js';
import { prng } from '../../src/util/prng.js';

const ROUTING_KEY = 'c7a5bdc0b2a19f8e7d6c5b4a39281706';
const SEED = Number(process.env.SKEWWATCH_CRASH_SEED ?? 20261201);
const INCIDENTS = 10;
const POOLS = Array.from({ length: INCIDENTS }, (_, i) => `be_${i}`);

describe('SIGKILL at 50 seeded points across ten incidents', { timeout: 300_000 }, () => {
  let dir = '';
  let src: FaultSource;
  let pd: PagerDutyReceiver;
  let base = '';
  let cfg = '';
  let env: NodeJS.ProcessEnv;
  let daemon: ProcessHandle | undefined;
  const logs: string[] = [];
  let starts = 0;

  const start = async () => {
    starts++;
    daemon = await startProcess(process.execPath, [CLI, 'run', '--config', cfg], { cwd: REPO_ROOT, env, logFile: path.join(dir, `run-${starts}.log`) });
  };
  const kill = async () => {
    if (!daemon) return;
    process.kill(daemon.pid, 'SIGKILL');
    await daemon.exited;
    logs.push(daemon.logs());
  };

  before(async () => {
    dir = makeTempDir('skewwatch-e2e-crash-');
    src = await startFaultSource({ pools: Object.fromEntries(POOLS.map((p) => [p, { ...BALANCED }])) });
    pd = await startPagerDutyReceiver({ routingKeys: [ROUTING_KEY] });
    base = `http://127.0.0.1:${await freePort()}`;
    writeFile(path.join(dir, 'rules.yaml'), 'rules:\n  - { id: Page, when: { stat: severity, above: 1.5, resolve_below: 0.5 }, for: 0s, severity: critical, sinks: [pagerduty] }\n');
    cfg = writeFile(path.join(dir, 'skewwatch.yaml'), [
      'namespace: e2e-crash',
      'interval: 500ms',
      `listen: ${base.slice(7)}`,
      `state_dir: ${path.join(dir, 'state')}`,
      'rule_files: [rules.yaml]',
      ...sourceYaml(src.url),
      'delivery: { initial_backoff: 200ms, max_backoff: 1s }',
      '',
    ].join('\n'));
    env = cleanEnv({ SKEWWATCH_PAGERDUTY_ROUTING_KEY: ROUTING_KEY, SKEWWATCH_PAGERDUTY_URL: pd.url });
  });
  after(async () => {
    await daemon?.stop();
    await Promise.allSettled([src?.close(), pd?.close()]);
    if (dir) removeTempDir(dir);
  });

  it('no page or resolve lost, at most one duplicate per kill, state never discarded', async (t) => {
    const random = prng(SEED);
    const jitter = (maxMs: number) => Math.floor(random() * maxMs);
    // A resolve event carries only the dedup key: learn each pool's key from its trigger (whose payload names the pool).
    const keyOf = (pool: string) => pd.events.find((e) => e.event_action === 'trigger' && JSON.stringify(e.payload ?? {}).includes(`"${pool}"`))?.dedup_key;
    const events = (pool: string, action: string) => {
      const key = keyOf(pool);
      return key === undefined ? [] : pd.events.filter((e) => e.event_action === action && e.dedup_key === key);
    };
    const kills: Record<string, number> = {};
    let killCount = 0;
    const killAndRestart = async (pool: string, maxDelayMs: number) => {
      await sleep(jitter(maxDelayMs));
      await kill();
      kills[pool] = (kills[pool] ?? 0) + 1;
      killCount++;
      await start();
    };
    const started = Date.now();
    await start();
    await waitFor('first cycle', async () => (await getJson<{ pools: unknown[] }>(`${base}/api/v1/status`)).pools.length === INCIDENTS, 15_000, 100);
    for (const pool of POOLS) {
      src.state.pools[pool] = { ...SKEWED };                     // fault
      await killAndRestart(pool, 1200);                            // around the first evaluation
      await killAndRestart(pool, 1200);                            // around enqueue and send of the page
      await waitFor(`page for ${pool}`, () => events(pool, 'trigger').length >= 1, 20_000, 50);
      src.state.pools[pool] = { ...BALANCED };                     // repair
      await killAndRestart(pool, 1200);                            // around the evaluation that resolves
      await killAndRestart(pool, 1200);                            // around enqueue and send of the resolve
      await waitFor(`resolve for ${pool}`, () => events(pool, 'resolve').length >= 1, 20_000, 50);
      await killAndRestart(pool, 600);                             // after the resolve, while state is written
    }
    await sleep(3000); // anything still queued goes out
    await daemon!.stop();
    logs.push(daemon!.logs());
    const took = Date.now() - started;

    let duplicates = 0;
    for (const pool of POOLS) {
      const triggers = events(pool, 'trigger').length;
      const resolves = events(pool, 'resolve').length;
      assert.ok(triggers >= 1, `${pool}: page lost`);
      assert.ok(resolves >= 1, `${pool}: resolve lost`);
      duplicates += triggers - 1 + resolves - 1;
      assert.ok(triggers - 1 + resolves - 1 <= kills[pool]!, `${pool}: ${triggers} triggers and ${resolves} resolves for ${kills[pool]} kills`);
      const alerts = pd.alertsFor(keyOf(pool)!);
      assert.equal(alerts.at(-1)?.status, 'resolved', `${pool}: left open in PagerDuty`);
    }
    assert.equal(killCount, 50);
    const all = logs.join('\n');
    assert.doesNotMatch(all, /state file is corrupt/, 'the state file was never discarded');
    assert.deepEqual(fs.readdirSync(path.join(dir, 'state')).filter((f) => f.includes('corrupt')), []);
    t.diagnostic(`seed ${SEED}: ${killCount} kills, ${starts} starts, ${duplicates} duplicate events, ${took} ms`);
  });
});
