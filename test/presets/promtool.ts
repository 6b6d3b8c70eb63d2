// Evaluates PromQL with real Prometheus (`promtool test rules`): input series
// in promtool's notation, expected samples at 1m.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const PROMTOOL = process.env.PROMTOOL ?? '/usr/bin/promtool';
export const IN_CI = process.env.CI === 'true';
export const SKIP = existsSync(PROMTOOL) ? false : `promtool not found at ${PROMTOOL}: apt-get install -y prometheus`;

export interface ExprTest {
  readonly expr: string;
  readonly exp: ReadonlyArray<{ readonly labels: string; readonly value: number }>;
}

/** Runs one promtool unit test file; returns promtool's output on failure. */
export function promtool(series: ReadonlyArray<[string, string]>, tests: readonly ExprTest[]): void {
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

