// The Grafana dashboard: every panel's PromQL parses under the real promtool
// (as recording rules, which promtool parses with Prometheus' own parser),
// names only metrics skewwatch's registry exports, filters by the pool
// variable where the series have a pool, and covers what an on-call needs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { SkewwatchMetrics } from '../../src/http/metrics.js';
import { ROOT, run, tool } from './tools.js';

interface Panel { title: string; type: string; targets?: Array<{ expr: string }>; panels?: Panel[] }
const dashboard = JSON.parse(readFileSync(join(ROOT, 'deploy/grafana/skewwatch.json'), 'utf8')) as {
  panels: Panel[];
  templating: { list: Array<{ name: string; query?: unknown; definition?: string }> };
};
const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]).filter((p) => p.type !== 'row');
const exprs = panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));

/** Grafana's variables as Prometheus would receive them. */
function expand(expr: string): string {
  return expr.replace(/\$__rate_interval|\$__interval|\$\{__rate_interval\}/g, '1m').replace(/\$__range/g, '1h').replace(/\$\{?pool\}?/g, '.*');
}

const FUNCTIONS_AND_KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset']);

/** Metric names in a PromQL expression: identifiers outside strings, label sets, ranges and grouping clauses that are not calls. */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    // Numbers and durations: 0.95, 2e3, offset 5m.
    .replace(/(?<![A-Za-z0-9_:])(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?[a-z]*/g, ' ');
  const names: string[] = [];
  for (const m of stripped.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const rest = stripped.slice(m.index! + m[0].length);
    if (/^\s*\(/.test(rest) || FUNCTIONS_AND_KEYWORDS.has(m[0])) continue;
    names.push(m[0]);
  }
  return names;
}

async function exportedNames(): Promise<Set<string>> {
  const metrics = new SkewwatchMetrics({ defaultMetrics: true });
  const names = new Set<string>();
  for (const m of await metrics.registry.getMetricsAsJSON()) {
    names.add(m.name);
    if (String(m.type) === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(`${m.name}${s}`);
  }
  return names;
}

test('every panel has a query, and every query parses as PromQL under promtool', (t) => {
  assert.ok(panels.length >= 10);
  for (const p of panels) assert.ok((p.targets ?? []).length > 0, `${p.title} has a query`);
  const promtool = tool(t, 'promtool');
  if (!promtool) return;
  const dir = mkdtempSync(join(tmpdir(), 'skewwatch-grafana-'));
  const rules = { groups: [{ name: 'dashboard', rules: exprs.map((e, i) => ({ record: `dashboard:panel_${i}`, expr: expand(e.expr) })) }] };
  writeFileSync(join(dir, 'dashboard.rules.yml'), stringify(rules));
  const r = run(promtool, ['check', 'rules', join(dir, 'dashboard.rules.yml')]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, new RegExp(`SUCCESS: ${exprs.length} rules found`));
  // The check bites: a broken expression is refused.
  writeFileSync(join(dir, 'broken.rules.yml'), stringify({ groups: [{ name: 'x', rules: [{ record: 'x:y', expr: 'sum by (pool (skewwatch_pool_gini)' }] }] }));
  assert.notEqual(run(promtool, ['check', 'rules', join(dir, 'broken.rules.yml')]).status, 0);
});

test('the queries name only metrics that skewwatch exports', async () => {
  const exported = await exportedNames();
  assert.deepEqual(metricNames('sum by (le) (rate(skewwatch_poll_duration_seconds_bucket{pool=~"a|b"}[5m])) / 2e3'), ['skewwatch_poll_duration_seconds_bucket']);
  for (const { panel, expr } of exprs) {
    const names = metricNames(expand(expr));
    assert.ok(names.length > 0, `${panel}: names a metric`);
    for (const n of names) assert.ok(exported.has(n), `${panel}: ${n} is exported by skewwatch`);
  }
});

test('a pool variable from skewwatch_pool_severity filters every per-pool query', () => {
  const pool = dashboard.templating.list.find((v) => v.name === 'pool');
  assert.ok(pool, 'pool variable');
  assert.match(String(pool.definition), /label_values\(skewwatch_pool_severity, pool\)/);
  for (const { panel, expr } of exprs) {
    if (/skewwatch_(pool|backend)_/.test(expr)) assert.match(expr, /pool=~"\$pool"/, `${panel} filters by $pool`);
  }
});

test('the dashboard shows what the issue asks for', () => {
  const all = exprs.map((e) => e.expr).join('\n');
  for (const [what, re] of [
    ['per-pool skew statistics', /skewwatch_pool_gini/],
    ['share against expected', /skewwatch_backend_share_ratio[\s\S]*skewwatch_backend_expected_share_ratio|skewwatch_backend_expected_share_ratio/],
    ['CPU utilisation', /skewwatch_backend_cpu_utilisation_ratio/],
    ['saturation forecast', /skewwatch_pool_seconds_to_saturation/],
    ['alert states', /skewwatch_alerts/],
    ['notifications by sink and outcome', /sum by \(sink, outcome\) \(rate\(skewwatch_notifications_total/],
    ['cycle duration', /skewwatch_poll_duration_seconds_bucket/],
    ['source errors', /skewwatch_source_errors_total/],
  ] as const) assert.match(all, re, what);
});
