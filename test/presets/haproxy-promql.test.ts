// The HAProxy preset's PromQL evaluated by real Prometheus (`promtool test
// rules`): health over both status forms (2.0-2.3 numeric, 2.4+ state label)
// and the backup query with a configured list.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { getPreset } from '../../src/presets/index.js';

const PROMTOOL = process.env.PROMTOOL ?? '/usr/bin/promtool';
const IN_CI = process.env.CI === 'true';
const SKIP = existsSync(PROMTOOL) ? false : `promtool not found at ${PROMTOOL}: apt-get install -y prometheus`;

interface ExprTest {
  readonly expr: string;
  readonly exp: ReadonlyArray<{ readonly labels: string; readonly value: number }>;
}

/** Runs one promtool unit test file; returns promtool's output on failure. */
function promtool(series: ReadonlyArray<[string, string]>, tests: readonly ExprTest[]): void {
  assert.ok(existsSync(PROMTOOL), `promtool missing at ${PROMTOOL}`);
  const dir = mkdtempSync(join(tmpdir(), 'skewwatch-promql-'));
  try {
    const q = (s: string) => JSON.stringify(s);
    const lines = [
      'rule_files: []',
      'evaluation_interval: 1m',
      'tests:',
      '  - interval: 1m',
      '    input_series:',
      ...series.flatMap(([s, v]) => [`      - series: ${q(s)}`, `        values: ${q(v)}`]),
      '    promql_expr_test:',
      ...tests.flatMap((t) => [
        `      - expr: ${q(t.expr)}`,
        '        eval_time: 1m',
        '        exp_samples:',
        ...t.exp.flatMap((e) => [`          - labels: ${q(e.labels)}`, `            value: ${e.value}`]),
      ]),
    ];
    const file = join(dir, 'test.yaml');
    writeFileSync(file, lines.join('\n') + '\n');
    const r = spawnSync(PROMTOOL, ['test', 'rules', file], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, `promtool:\n${r.stdout}${r.stderr}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const ctx = { window: '1m', matchers: '' };

describe('haproxy PromQL on real Prometheus', { skip: IN_CI ? false : SKIP }, () => {
  it('health decodes 2.0-2.3 numeric status and 2.4+ state series side by side', () => {
    const s = (proxy: string, server: string, extra = '') => `haproxy_server_status{proxy="${proxy}",server="${server}"${extra}}`;
    const states = ['UP', 'DOWN', 'MAINT', 'DRAIN', 'NOLB'];
    const new26 = (server: string, on: string): Array<[string, string]> =>
      states.map((st) => [s('be26', server, `,state="${st}"`), st === on ? '1 1' : '0 0']);
    promtool(
      [
        // 2.3: one up, one MAINT, one DRAIN, one NOLB, one DOWN.
        [s('be23', 'srv001'), '1 1'],
        [s('be23', 'srv002'), '2 2'],
        [s('be23', 'srv003'), '3 3'],
        [s('be23', 'srv004'), '4 4'],
        [s('be23', 'srv005'), '0 0'],
        ...new26('a', 'UP'),
        ...new26('b', 'MAINT'),
        ...new26('c', 'DOWN'),
      ],
      [
        {
          expr: getPreset('haproxy').queries(ctx).health!,
          exp: [
            { labels: '{proxy="be23",server="srv001"}', value: 1 },
            { labels: '{proxy="be23",server="srv002"}', value: 2 },
            { labels: '{proxy="be23",server="srv003"}', value: 2 },
            { labels: '{proxy="be23",server="srv004"}', value: 2 },
            { labels: '{proxy="be23",server="srv005"}', value: 0 },
            { labels: '{proxy="be26",server="a"}', value: 1 },
            { labels: '{proxy="be26",server="b"}', value: 2 },
            { labels: '{proxy="be26",server="c"}', value: 0 },
          ],
        },
      ],
    );
  });

  it('backup: the configured list plus haproxy_server_backup, the list winning', () => {
    const w = (server: string) => [`haproxy_server_weight{proxy="be",server="${server}"}`, '10 10'] as [string, string];
    const b = (server: string, v: number) => [`haproxy_server_backup{proxy="be",server="${server}"}`, `${v} ${v}`] as [string, string];
    promtool(
      [w('s1'), w('s2'), w('bk'), b('s1', 0), b('bk', 1)],
      [
        {
          expr: getPreset('haproxy', { backupServers: ['be/s1'] }).queries(ctx).backup!,
          exp: [
            { labels: '{proxy="be",server="s1"}', value: 1 },
            { labels: '{proxy="be",server="bk"}', value: 1 },
          ],
        },
        {
          expr: getPreset('haproxy').queries(ctx).sessionLimit!,
          exp: [],
        },
      ],
    );
  });

  it('session limit: NaN (no maxconn) and 0 are dropped', () => {
    const l = (server: string, v: string) => [`haproxy_server_limit_sessions{proxy="be",server="${server}"}`, `${v} ${v}`] as [string, string];
    promtool([l('s1', '30'), l('s2', 'NaN'), l('s3', '0')], [
      { expr: getPreset('haproxy').queries(ctx).sessionLimit!, exp: [{ labels: '{proxy="be",server="s1"}', value: 30 }] },
    ]);
  });
});
