// nginx-module-vts: the ::nogroups group is never a pool, the code="total"
// series is never added to the per-code ones.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { getPreset } from '../../src/presets/index.js';
import { parseExposition } from '../../src/sources/exposition.js';

const vts = getPreset('nginx', { flavour: 'vts' });

function readings(file: string) {
  const text = readFileSync(new URL(`../fixtures/presets/${file}`, import.meta.url), 'utf8');
  return vts.scrape!.extract(parseExposition(text, { keepNames: new Set(vts.scrape!.metricNames) }));
}

describe('nginx vts', () => {
  it('scrape: ::nogroups targets are excluded, real upstream groups kept', () => {
    const r = readings('nginx-vts-nogroups.txt');
    assert.deepEqual(r.map((x) => `${x.pool.upstream}/${x.backend}`).sort(), ['app/10.0.0.1:8080', 'app/10.0.0.2:8080']);
  });

  it('scrape: code="total" is not added again; response time from the average gauge', () => {
    const byBackend = new Map(readings('nginx-vts-nogroups.txt').map((x) => [x.backend, x]));
    assert.equal(byBackend.get('10.0.0.1:8080')!.requests, 5010);
    assert.equal(byBackend.get('10.0.0.1:8080')!.errors, 10);
    assert.equal(byBackend.get('10.0.0.2:8080')!.responseTime, 0.25);
  });

  it('query: both exclusions in every request selector', () => {
    const q = vts.queries({ window: '1m', matchers: '' });
    assert.equal(q.rate, 'sum by (upstream, backend) (rate(nginx_vts_upstream_requests_total{code!="total",upstream!="::nogroups"}[1m]))');
    assert.match(q.errors!, /code="5xx",upstream!="::nogroups"/);
    assert.match(q.responseTime!, /nginx_vts_upstream_response_seconds\{upstream!="::nogroups"\}/);
  });

  it('flavour plus is the default', () => {
    assert.match(getPreset('nginx').queries({ window: '1m', matchers: '' }).rate, /nginxplus_upstream_server_requests/);
    assert.match(getPreset('nginx', { flavour: 'plus' }).description, /NGINX Plus/);
  });
});
