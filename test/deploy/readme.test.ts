// The README's cookbook is real: every `source:` block loads with the real
// config loader, the rules block passes `validate --rules`, and the
// Alertmanager routing example passes `amtool check-config`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { validateRuleFiles } from '../../src/cli/validate-env.js';
import { ROOT, run, tool } from './tools.js';

const blocks = [...readFileSync(join(ROOT, 'README.md'), 'utf8').matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
const dir = mkdtempSync(join(tmpdir(), 'skewwatch-readme-'));

test('every cookbook source block is a valid config', () => {
  const sources = blocks.filter((b) => b.startsWith('source:'));
  assert.ok(sources.length >= 6, `HAProxy twice, Envoy, NGINX Plus, Traefik, Kubernetes (${sources.length})`);
  sources.forEach((b, i) => {
    const file = join(dir, `source-${i}.yaml`);
    writeFileSync(file, b);
    assert.doesNotThrow(() => loadConfig({ file, env: {} }), `block ${i}:\n${b}`);
  });
});

test('the routing rules block is a valid rule file', () => {
  const rules = blocks.filter((b) => b.startsWith('rules:'));
  assert.ok(rules.length >= 1);
  for (const [i, b] of rules.entries()) {
    const file = join(dir, `rules-${i}.yaml`);
    writeFileSync(file, b);
    assert.ok(validateRuleFiles([file], {}, false).ruleIds.length > 0);
  }
});

test('the Alertmanager routing example passes amtool check-config', (t) => {
  const amtool = tool(t, 'amtool');
  if (!amtool) return;
  const am = blocks.find((b) => b.startsWith('route:'));
  assert.ok(am, 'an Alertmanager example');
  writeFileSync(join(dir, 'alertmanager.yml'), am);
  const r = run(amtool, ['check-config', join(dir, 'alertmanager.yml')]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
});
