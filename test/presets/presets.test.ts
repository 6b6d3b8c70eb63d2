import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { getPreset, isPresetName, PRESET_NAMES } from '../../src/presets/index.js';
import type { BackendReading, Preset, QueryContext } from '../../src/presets/preset.js';
import { expandTemplate } from '../../src/presets/custom.js';
import { parseSimpleMatcher } from '../../src/presets/kubernetes.js';
import { parseExposition } from '../../src/sources/exposition.js';
import { isSkewwatchError } from '../../src/util/errors.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/presets/${name}`, import.meta.url), 'utf8');

/** Parse a fixture through the preset's extractor, as the scrape source does. */
function extract(preset: Preset, file: string): Map<string, BackendReading> {
  assert.ok(preset.scrape, `${preset.name} has a scrape extractor`);
  const fams = parseExposition(fixture(file), {
    keepNames: new Set(preset.scrape.metricNames),
    includeHistograms: preset.scrape.includeHistograms === true,
  });
  const readings = preset.scrape.extract(fams);
  const out = new Map<string, BackendReading>();
  for (const r of readings) {
    const key = [...preset.poolLabels.map((l) => r.pool[l]), r.backend].join('/');
    assert.ok(!out.has(key), `one reading per backend (${key})`);
    out.set(key, r);
  }
  return out;
}

const CUSTOM_OPTIONS = {
  poolLabels: ['pool'],
  backendLabel: 'host',
  queries: {
    rate: 'sum by (pool, host) (rate(myapp_upstream_requests_total{{{matchers}}}[{{window}}]))',
    health: 'max by (pool, host) (myapp_upstream_health{role="x"{{,matchers}}})',
    weight: 'max by (pool, host) (myapp_upstream_weight{{{matchers}}})',
  },
  scrape: {
    requests: { metric: 'myapp_upstream_requests_total' },
    errors: { metric: 'myapp_upstream_requests_total', match: 'status="error"' },
    weight: { metric: 'myapp_upstream_weight' },
    health: { metric: 'myapp_upstream_health' },
  },
};

function presetFor(name: string): Preset {
  return name === 'custom' ? getPreset('custom', CUSTOM_OPTIONS) : getPreset(name);
}

// ---- query mode: well-formed PromQL ----------------------------------------

function balanced(q: string): boolean {
  const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
  const stack: string[] = [];
  let inString = false;
  for (let i = 0; i < q.length; i++) {
    const c = q[i]!;
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '(' || c === '[' || c === '{') stack.push(c);
    else if (c in pairs) {
      if (stack.pop() !== pairs[c]) return false;
    }
  }
  return stack.length === 0 && !inString;
}

/** Every metric selector in the query (name followed by `{...}`), as [name, body]. */
function selectors(q: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const m of q.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}/g)) out.push([m[1]!, m[2]!]);
  return out;
}

describe('presets: query mode', () => {
  const ctx: QueryContext = { window: '2m', matchers: 'job="lb",instance=~"lb-.*"' };
  const empty: QueryContext = { window: '1m', matchers: '' };

  for (const name of PRESET_NAMES) {
    it(`${name}: every query is balanced, aggregates by pool and backend labels, carries the matchers`, () => {
      const preset = presetFor(name);
      const qs = preset.queries(ctx);
      assert.ok(qs.rate, 'rate query is required');
      for (const [signal, q] of Object.entries(qs)) {
        assert.equal(typeof q, 'string');
        assert.ok(balanced(q!), `${signal}: balanced brackets: ${q}`);
        const byClauses = [...q!.matchAll(/\bby \(([^)]*)\)/g)].map((m) => m[1]!.split(',').map((s: string) => s.trim()));
        assert.ok(byClauses.length > 0, `${signal}: has a by clause`);
        // The outermost aggregation (first by clause) names exactly the pool and backend labels.
        assert.deepEqual(byClauses[0], [...preset.poolLabels, preset.backendLabel], `${signal}: ${q}`);
        const sels = selectors(q!);
        assert.ok(sels.length > 0, `${signal}: has selectors`);
        for (const [metric, body] of sels) {
          assert.ok(body.includes('job="lb"') && body.includes('instance=~"lb-.*"'), `${signal}: ${metric} carries the matchers: ${q}`);
        }
        if (signal === 'rate' || signal === 'errors' || signal === 'cpu') assert.match(q!, /\[2m\]/, `${signal} uses the window`);
      }
    });

    it(`${name}: no empty braces or dangling commas without matchers`, () => {
      const qs = presetFor(name).queries(empty);
      for (const q of Object.values(qs)) {
        assert.ok(balanced(q!));
        assert.doesNotMatch(q!, /\{,|,\}|,,/, q);
        assert.match(q!, /\[1m\]|^(?!.*rate\()/, q);
      }
    });
  }

  it('haproxy: request falls back to sessions, health combines the state series', () => {
    const qs = getPreset('haproxy').queries(empty);
    assert.equal(
      qs.rate,
      'sum by (proxy, server) (rate(haproxy_server_http_responses_total[1m])) or sum by (proxy, server) (rate(haproxy_server_sessions_total[1m]))',
    );
    assert.equal(
      qs.health,
      '(sum by (proxy, server) (haproxy_server_status{state="UP"}) + 2 * sum by (proxy, server) (haproxy_server_status{state=~"MAINT|DRAIN|NOLB"})) or ' +
        '(max by (proxy, server) (haproxy_server_status{state=""} == bool 1) + 2 * max by (proxy, server) (haproxy_server_status{state=""} >= bool 2))',
    );
    assert.equal(qs.errors, 'sum by (proxy, server) (rate(haproxy_server_http_responses_total{code="5xx"}[1m]))');
    assert.equal(qs.queue, 'sum by (proxy, server) (haproxy_server_current_queue)');
    assert.equal(qs.weight, 'sum by (proxy, server) (avg_over_time(haproxy_server_weight[1m]))');
  });

  it('nginx vts excludes the code="total" series', () => {
    const qs = getPreset('nginx', { flavour: 'vts' }).queries(empty);
    assert.match(qs.rate, /nginx_vts_upstream_requests_total\{code!="total",/);
  });

  it('kubernetes joins CPU and capacity to the workload label', () => {
    const qs = getPreset('kubernetes', { workloadLabel: 'app' }).queries({ window: '5m', matchers: 'namespace="shop"' });
    assert.match(qs.cpu!, /container_cpu_usage_seconds_total\{container!="",namespace="shop"\}\[5m\]/);
    assert.match(qs.cpu!, /on \(namespace, pod\) group_left\(app\)/);
    assert.match(qs.cpuCapacity!, /kube_pod_container_resource_limits\{resource="cpu",namespace="shop"\}/);
  });

  it('custom expands templates', () => {
    assert.equal(expandTemplate('x{a="b"{{,matchers}}}[{{window}}]', { window: '3m', matchers: 'c="d"' }), 'x{a="b",c="d"}[3m]');
    assert.equal(expandTemplate('x{a="b"{{,matchers}}}', empty), 'x{a="b"}');
    assert.equal(expandTemplate('x{{{matchers}}}', empty), 'x{}');
  });
});

// ---- scrape mode: fixtures through the extractor -----------------------------

describe('presets: scrape extractors on fixtures', () => {
  it('haproxy (real 2.6 capture): http pools use responses, TCP pools sessions', () => {
    const r = extract(getPreset('haproxy'), 'haproxy.txt');
    assert.deepEqual([...r.keys()].sort(), ['be_app/s1', 'be_app/s2', 'be_app/s3', 'be_static/st1', 'be_static/st2', 'tcp_db/db1']);
    const s1 = r.get('be_app/s1')!;
    // 120 2xx + 12 5xx in the capture, summed over codes.
    assert.equal(s1.requests, 132);
    assert.equal(s1.errors, 12);
    assert.equal(s1.weight, 100);
    assert.equal(s1.health, 'up');
    assert.equal(s1.queue, 0);
    assert.equal(s1.sessions, 0);
    assert.equal(r.get('be_app/s3')!.weight, 50);
    assert.equal(r.get('be_static/st2')!.health, 'maint');
    const db = r.get('tcp_db/db1')!;
    assert.equal(db.requests, 0, 'sessions_total for TCP mode');
    assert.equal(db.errors, undefined);
    assert.deepEqual(s1.pool, { proxy: 'be_app' });
  });

  it('envoy: per-endpoint stats', () => {
    const r = extract(getPreset('envoy'), 'envoy.txt');
    assert.equal(r.size, 5);
    assert.deepEqual(r.get('app/10.0.0.2:8080'), {
      pool: { envoy_cluster_name: 'app' },
      backend: '10.0.0.2:8080',
      requests: 1500,
      errors: 40,
      sessions: 9,
      health: 'up',
    });
    assert.equal(r.get('app/10.0.0.3:8080')!.health, 'down');
  });

  it('nginx plus: state codes map to health', () => {
    const r = extract(getPreset('nginx'), 'nginx.txt');
    assert.equal(r.size, 4);
    assert.equal(r.get('backend/10.0.0.1:80')!.requests, 1200);
    assert.equal(r.get('backend/10.0.0.1:80')!.errors, 10);
    assert.equal(r.get('backend/10.0.0.1:80')!.health, 'up');
    assert.equal(r.get('backend/10.0.0.3:80')!.health, 'maint', 'draining');
    assert.equal(r.get('static/10.0.1.1:80')!.health, 'down', 'unavail');
  });

  it('nginx vts: sums codes without the total series', () => {
    const r = extract(getPreset('nginx', { flavour: 'vts' }), 'nginx-vts.txt');
    assert.equal(r.get('backend/10.0.0.1:80')!.requests, 1000);
    assert.equal(r.get('backend/10.0.0.1:80')!.errors, 20);
    assert.equal(r.get('backend/10.0.0.2:80')!.requests, 500);
    assert.equal(r.get('backend/10.0.0.2:80')!.health, undefined);
  });

  it('traefik: services of one job, up when any server is up', () => {
    const r = extract(getPreset('traefik', { job: 'edge' }), 'traefik.txt');
    assert.deepEqual([...r.keys()].sort(), ['edge/app-blue@file', 'edge/app-green@file']);
    const blue = r.get('edge/app-blue@file')!;
    assert.equal(blue.requests, 1000);
    assert.equal(blue.errors, 4);
    assert.equal(blue.health, 'up');
    assert.equal(blue.sessions, 3);
    assert.equal(r.get('edge/app-green@file')!.health, 'down');
  });

  it('kubernetes: federated series joined on namespace and pod', () => {
    const r = extract(getPreset('kubernetes'), 'kubernetes.txt');
    assert.deepEqual([...r.keys()].sort(), ['shop/api/api-5c4b-klmno', 'shop/web/web-7d9f-abcde', 'shop/web/web-7d9f-fghij']);
    const a = r.get('shop/web/web-7d9f-abcde')!;
    assert.equal(a.requests, 5012);
    assert.equal(a.errors, 12);
    assert.equal(a.cpuSeconds, 1300.75, 'containers web + istio-proxy, not the pod total or POD');
    assert.equal(a.cpuCapacity, 2.5);
    assert.equal(a.health, 'up');
    assert.equal(r.get('shop/web/web-7d9f-fghij')!.health, 'down');
    assert.equal(r.get('shop/api/api-5c4b-klmno')!.cpuCapacity, undefined);
  });

  it('custom: user-given metric names and matchers', () => {
    const r = extract(presetFor('custom'), 'custom.txt');
    assert.deepEqual(r.get('search/a'), { pool: { pool: 'search' }, backend: 'a', requests: 105, errors: 5, weight: 1, health: 'up' });
    assert.equal(r.get('search/b')!.health, 'maint');
  });
});

describe('preset registry', () => {
  it('knows every name and rejects others', () => {
    assert.deepEqual([...PRESET_NAMES], ['haproxy', 'envoy', 'nginx', 'traefik', 'kubernetes', 'custom']);
    for (const n of PRESET_NAMES) {
      assert.ok(isPresetName(n));
      assert.equal(presetFor(n).name, n);
    }
    assert.throws(() => getPreset('f5'), (e: unknown) => isSkewwatchError(e, 'config') && /unknown preset "f5"/.test(e.message));
    assert.throws(() => getPreset('custom'), (e: unknown) => isSkewwatchError(e, 'config'));
  });

  it('custom validates its options', () => {
    assert.throws(() => getPreset('custom', { poolLabels: ['bad-label'], backendLabel: 'x', queries: { rate: 'x' } }), /poolLabels/);
    assert.throws(() => getPreset('custom', { poolLabels: [], backendLabel: '', queries: { rate: 'x' } }), /backendLabel/);
    assert.throws(() => getPreset('custom', { poolLabels: [], backendLabel: 'x' }), /queries/);
    const scrapeOnly = getPreset('custom', { poolLabels: [], backendLabel: 'x', scrape: { requests: { metric: 'r' } } });
    assert.throws(() => scrapeOnly.queries({ window: '1m', matchers: '' }), (e: unknown) => isSkewwatchError(e, 'config'));
    assert.throws(() => getPreset('custom', { poolLabels: [], backendLabel: 'x', scrape: { requests: { metric: 'r', match: 'nonsense' } } }), /unsupported matcher/);
  });

  it('parseSimpleMatcher implements = != =~ !~ anchored', () => {
    assert.ok(parseSimpleMatcher('code="5xx"')({ code: '5xx' }));
    assert.ok(!parseSimpleMatcher('code!="5xx"')({ code: '5xx' }));
    assert.ok(parseSimpleMatcher('code=~"5.."')({ code: '503' }));
    assert.ok(!parseSimpleMatcher('code=~"5"')({ code: '503' }), 'anchored');
    assert.ok(parseSimpleMatcher('code!~"5.."')({}));
    assert.ok(parseSimpleMatcher('x=""')({}), 'missing label is empty');
  });
});
