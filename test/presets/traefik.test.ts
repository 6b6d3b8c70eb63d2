// Traefik: v3 names on the metric lines Traefik v3's own integration tests
// assert (read from ../shared/conformance/traefik-v3 at test time), pools per
// group of services in both modes, and scrape-mode pool selection exactly as
// in query mode (source.matchers, include_pools, exclude_pools).
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { getPreset } from '../../src/presets/index.js';
import { parseExposition } from '../../src/sources/exposition.js';
import { ScrapeSource } from '../../src/sources/scrape.js';
import { isSkewwatchError } from '../../src/util/errors.js';
import { manualClock, serve, text, type TestServer } from '../sources/serve.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const V3_FILE = [join(ROOT, '../shared/conformance'), join(ROOT, '../../shared/conformance')]
  .map((d) => join(d, 'traefik-v3', 'traefik-v3-assembled-from-assertions.txt'))
  .find((f) => existsSync(f));

function v3(): string {
  assert.ok(V3_FILE, 'Traefik v3 conformance material missing: check out ../shared beside the repository');
  return readFileSync(V3_FILE, 'utf8');
}

describe('traefik v3 (Traefik\'s own asserted metrics)', () => {
  it('services are the backends; no per-service open connections in v3', () => {
    const p = getPreset('traefik');
    const r = p.scrape!.extract(parseExposition(v3(), { keepNames: new Set(p.scrape!.metricNames) }));
    const byService = new Map(r.map((x) => [x.backend, x]));
    assert.deepEqual([...byService.keys()].sort(), ['service-resp@file', 'service-without@file', 'whoami1@docker']);
    assert.equal(byService.get('whoami1@docker')!.requests, 2);
    assert.equal(byService.get('whoami1@docker')!.sessions, undefined, 'v3 has traefik_open_connections{entrypoint} only');
    assert.ok(!p.scrape!.metricNames.includes('traefik_open_connections'), 'the entrypoint gauge is not a per-service signal');
  });

  it('groups: one pool per group in scrape mode, services in no group left out', () => {
    const p = getPreset('traefik', { job: 'edge', groups: { whoami: 'whoami.*', svc: 'service-.*@file' } });
    assert.deepEqual(p.poolLabels, ['job', 'group']);
    const r = p.scrape!.extract(parseExposition(v3(), { keepNames: new Set(p.scrape!.metricNames) }));
    const pools = r.map((x) => `${x.pool.job}/${x.pool.group}/${x.backend}`).sort();
    assert.deepEqual(pools, ['edge/svc/service-resp@file', 'edge/svc/service-without@file', 'edge/whoami/whoami1@docker']);
  });

  it('groups in query mode: label_replace per group, aggregated by job, group, service', () => {
    const q = getPreset('traefik', { groups: { app: 'app-(blue|green)@file' } }).queries({ window: '1m', matchers: 'job="tr"' });
    assert.equal(
      q.rate,
      'sum by (job, group, service) (label_replace(rate(traefik_service_requests_total{service=~"app-(blue|green)@file",job="tr"}[1m]), "group", "app", "", ""))',
    );
  });
});

describe('scrape mode selects pools as query mode does', () => {
  let srv: TestServer;
  const sources: ScrapeSource[] = [];
  before(async () => {
    srv = await serve();
    let n = 0;
    // The v3 lines with every counter advancing, so each scrape gives rates.
    srv.route('/traefik', text(() => v3().replace(/(_requests_total\{[^}]*\}) (\d+)/g, (_m, s: string, v: string) => `${s} ${Number(v) + n++}`)));
  });
  after(async () => {
    for (const s of sources) await s.close();
    await srv.close();
  });
  async function poolsOf(opts: { matchers?: string; includePools?: string; excludePools?: string; groups?: Record<string, string> }) {
    const clock = manualClock();
    const { groups, ...select } = opts;
    const src = new ScrapeSource({
      preset: getPreset('traefik', groups ? { groups } : {}),
      targets: [{ url: `${srv.base}/traefik`, role: 'balancer' }],
      clock,
      ...select,
    });
    sources.push(src);
    await src.collect(0);
    clock.advance(1000);
    const snap = await src.collect(1);
    return snap.pools.map((p) => `${p.pool}:${p.backends.map((b) => b.backend).join(',')}`).sort();
  }

  it('source.matchers pick the children of one weighted service', async () => {
    assert.deepEqual(await poolsOf({ matchers: 'service=~"service-.*@file"' }), ['traefik:service-resp@file,service-without@file']);
  });

  it('matchers see the fixed job label, as query mode sees the scrape job', async () => {
    assert.deepEqual(await poolsOf({ matchers: 'job="traefik",service!="whoami1@docker"' }), ['traefik:service-resp@file,service-without@file']);
    await assert.rejects(poolsOf({ matchers: 'job="other"' }), (e: unknown) => isSkewwatchError(e, 'source-malformed'));
  });

  it('include_pools and exclude_pools apply to the pool ids', async () => {
    const groups = { whoami: 'whoami.*', svc: 'service-.*' };
    assert.deepEqual(await poolsOf({ groups }), ['traefik/svc:service-resp@file,service-without@file', 'traefik/whoami:whoami1@docker']);
    assert.deepEqual(await poolsOf({ groups, includePools: 'traefik/svc' }), ['traefik/svc:service-resp@file,service-without@file']);
    assert.deepEqual(await poolsOf({ groups, excludePools: '.*/svc' }), ['traefik/whoami:whoami1@docker']);
  });

  it('a malformed matcher list is a config error', () => {
    assert.throws(
      () => new ScrapeSource({ preset: getPreset('traefik'), targets: [{ url: `${srv.base}/traefik`, role: 'balancer' }], matchers: 'service=x' }),
      (e: unknown) => isSkewwatchError(e, 'config') && /source.matchers in scrape mode/.test(e.message),
    );
  });
});
