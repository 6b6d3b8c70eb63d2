// Envoy: a degraded endpoint (healthy gauge 0, still routed to) is not shown
// as down; a dead one is. Scrape mode on a fixture, query mode on promtool.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getPreset } from '../../src/presets/index.js';
import { parseExposition } from '../../src/sources/exposition.js';
import { IN_CI, promtool, SKIP } from './promtool.js';

const envoy = getPreset('envoy');
const L = (addr: string) => `{envoy_cluster_name="app",envoy_endpoint_address="${addr}"}`;

function health(text: string): Record<string, string | undefined> {
  const r = envoy.scrape!.extract(parseExposition(text, { keepNames: new Set(envoy.scrape!.metricNames) }));
  return Object.fromEntries(r.map((x) => [x.backend, x.health]));
}

const EXPOSITION = (degradedMembers: number) =>
  [
    `envoy_cluster_membership_degraded{envoy_cluster_name="app"} ${degradedMembers}`,
    ...['a', 'b', 'c'].map((h) => `envoy_cluster_endpoint_rq_total${L(h)} 100`),
    `envoy_cluster_endpoint_healthy${L('a')} 1`,
    `envoy_cluster_endpoint_healthy${L('b')} 0`,
    `envoy_cluster_endpoint_healthy${L('c')} 0`,
    `envoy_cluster_endpoint_rq_active${L('a')} 3`,
    `envoy_cluster_endpoint_rq_active${L('b')} 2`,
    `envoy_cluster_endpoint_rq_active${L('c')} 0`,
    '',
  ].join('\n');

describe('envoy degraded hosts', () => {
  it('scrape: healthy 0 but serving in a cluster with degraded members is up; idle healthy 0 is down', () => {
    assert.deepEqual(health(EXPOSITION(1)), { a: 'up', b: 'up', c: 'down' });
  });

  it('scrape: without degraded members, healthy 0 is down even with requests in flight', () => {
    assert.deepEqual(health(EXPOSITION(0)), { a: 'up', b: 'down', c: 'down' });
  });

  it('query: the same on real Prometheus, and the plain gauge where no degraded count exists', { skip: IN_CI ? false : SKIP }, () => {
    const s = (name: string, labels: string, v: number) => [`${name}${labels}`, `${v} ${v}`] as [string, string];
    const q = envoy.queries({ window: '1m', matchers: '' }).health!;
    promtool(
      [
        s('envoy_cluster_membership_degraded', '{envoy_cluster_name="app"}', 1),
        s('envoy_cluster_endpoint_healthy', L('a'), 1),
        s('envoy_cluster_endpoint_healthy', L('b'), 0),
        s('envoy_cluster_endpoint_healthy', L('c'), 0),
        s('envoy_cluster_endpoint_rq_active', L('a'), 3),
        s('envoy_cluster_endpoint_rq_active', L('b'), 2),
        s('envoy_cluster_endpoint_rq_active', L('c'), 0),
        s('envoy_cluster_endpoint_healthy', '{envoy_cluster_name="old",envoy_endpoint_address="x"}', 0),
      ],
      [
        {
          expr: q,
          exp: [
            { labels: L('a'), value: 1 },
            { labels: L('b'), value: 1 },
            { labels: L('c'), value: 0 },
            { labels: '{envoy_cluster_name="old",envoy_endpoint_address="x"}', value: 0 },
          ],
        },
      ],
    );
  });
});
