// `skewwatch audit` over a table of HAProxy config fixtures: each risky
// setting, a clean config, a syntax error. Expected rule ids, lines and exit
// codes; SARIF output validated against the SARIF 2.1.0 JSON schema.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { captureIo } from '../fakes/cli-io.js';
import AjvDraft04 from 'ajv-draft-04';
import { main } from '../../src/cli.js';
import { findHaproxy } from '../../src/audit/haproxy-check.js';

const DIR = join('test', 'fixtures', 'haproxy-configs');
const require = createRequire(import.meta.url);

const io = (env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '' }) => captureIo(env);

interface JsonFinding { ruleId: string; severity: string; at: { file: string; line: number }; message: string }

async function audit(file: string, extra: string[] = []): Promise<{ code: number; findings: JsonFinding[]; report: Record<string, unknown>; err: string }> {
  const c = io();
  const code = await main(['audit', '--haproxy-config', join(DIR, file), '--format', 'json', '--no-haproxy-check', ...extra], c.io);
  const report = JSON.parse(c.out()) as Record<string, unknown> & { findings: JsonFinding[] };
  return { code, findings: report.findings, report, err: c.err() };
}

const ids = (fs: JsonFinding[]) => fs.map((f) => `${f.ruleId}@${f.at.line}`);

// One row per fixture: the findings (rule id @ line) expected, and the exit
// status with the default --fail-on warning.
const TABLE: { file: string; expect: string[]; code: number; why: string }[] = [
  { file: 'clean.cfg', expect: [], code: 0, why: 'nothing risky' },
  { file: 'weight-concentration.cfg', expect: ['SW001@11'], code: 1, why: 's1 weight 8 of 10 among 3 servers' },
  { file: 'hash-source.cfg', expect: ['SW002@9', 'SW003@9'], code: 1, why: 'balance source with map-based hashing; the consistent uri pool is fine' },
  { file: 'no-check.cfg', expect: ['SW004@11'], code: 1, why: 's2 has no check' },
  { file: 'no-maxconn.cfg', expect: ['SW005@7', 'SW006@11'], code: 1, why: 'no maxconn at all; maxconn without timeout queue' },
  { file: 'no-slowstart.cfg', expect: ['SW007@8'], code: 0, why: 'a note only: below the default --fail-on warning' },
  { file: 'single-server.cfg', expect: ['SW008@9', 'SW008@12'], code: 1, why: 'one server; only backups' },
  { file: 'duplicates.cfg', expect: ['SW009@11'], code: 1, why: 's2 has s1\'s address' },
  { file: 'none-in-service.cfg', expect: ['SW010@9'], code: 1, why: 'weight 0 and disabled' },
  { file: 'syntax-error.cfg', expect: ['SW000@10', 'SW000@11'], code: 1, why: 'weight 300 (line 10) and an unterminated quote (line 11)' },
  { file: 'named-defaults.cfg', expect: ['SW006@23'], code: 0, why: 'named defaults give be_from_base check, maxconn, slowstart, timeout queue; li_tcp inherits the last defaults (no timeout queue): a note' },
];

for (const row of TABLE) {
  test(`audit ${row.file}: ${row.why}`, async () => {
    const r = await audit(row.file);
    assert.deepEqual(ids(r.findings), row.expect, JSON.stringify(r.findings, null, 1));
    assert.equal(r.code, row.code);
    for (const f of r.findings) assert.equal(f.at.file, join(DIR, row.file));
  });
}

test('findings say what they risk and how to fix it, naming pool and server', async () => {
  const { findings } = await audit('weight-concentration.cfg');
  const f = findings[0] as JsonFinding & { risk: string; fix: string };
  assert.match(f.message, /be_app\/s1 has weight 8 of 10: 80% of the pool's traffic on one of 3 servers/);
  assert.match(f.risk, /saturates/);
  assert.match(f.fix, /capacity/);
});

test('--fail-on decides the exit status: error ignores warnings, note fails on notes', async () => {
  assert.equal((await audit('weight-concentration.cfg', ['--fail-on', 'error'])).code, 0);
  assert.equal((await audit('syntax-error.cfg', ['--fail-on', 'error'])).code, 1);
  assert.equal((await audit('no-slowstart.cfg', ['--fail-on', 'note'])).code, 1);
  assert.equal((await audit('clean.cfg', ['--fail-on', 'note'])).code, 0);
});

test('exit 2 on an unreadable file and on bad options, with a clear message', async () => {
  const c = io();
  assert.equal(await main(['audit', '--haproxy-config', join(DIR, 'nope.cfg')], c.io), 2);
  assert.match(c.err(), /cannot read .*nope\.cfg/);
  const d = io();
  assert.equal(await main(['audit', '--haproxy-config', join(DIR, 'clean.cfg'), '--format', 'xml'], d.io), 2);
  assert.match(d.err(), /--format must be one of text, json, sarif/);
  const e = io();
  assert.equal(await main(['audit'], e.io), 2);
  assert.match(e.err(), /--haproxy-config FILE is required/);
});

test('SKEWWATCH_HAPROXY_CONFIG is the env form of --haproxy-config', async () => {
  const c = io({ PATH: process.env.PATH ?? '', SKEWWATCH_HAPROXY_CONFIG: join(DIR, 'weight-concentration.cfg') });
  assert.equal(await main(['audit', '--no-haproxy-check'], c.io), 1);
  assert.match(c.out(), /SW001 be_app\/s1 has weight 8 of 10/);
});

test('SARIF output validates against the SARIF 2.1.0 schema and puts findings on lines', async () => {
  const schemaPath = join(require.resolve('@microsoft/jest-sarif/package.json'), '..', 'lib', 'schemas', 'sarif-2.1.0-rtm.5.json');
  const schema = JSON.parse(readFileSync(schemaPath, 'utf8')) as Record<string, unknown>;
  const ajv = new AjvDraft04.default({ allErrors: true, strict: false, validateFormats: false, unicodeRegExp: false });
  const validate = ajv.compile(schema);
  for (const file of ['syntax-error.cfg', 'hash-source.cfg', 'clean.cfg']) {
    const c = io();
    await main(['audit', '--haproxy-config', join(DIR, file), '--format', 'sarif', '--no-haproxy-check'], c.io);
    const sarif = JSON.parse(c.out()) as { version: string; runs: { results: { ruleId: string; level: string; locations: { physicalLocation: { region: { startLine: number }; artifactLocation: { uri: string } } }[] }[]; tool: { driver: { rules: { id: string }[] } } }[] };
    assert.ok(validate(sarif), `${file}: ${JSON.stringify(validate.errors, null, 1)}`);
    assert.equal(sarif.version, '2.1.0');
    const results = sarif.runs[0]!.results;
    if (file === 'hash-source.cfg') {
      assert.deepEqual(results.map((r) => [r.ruleId, r.level, r.locations[0]!.physicalLocation.region.startLine]), [['SW002', 'warning', 9], ['SW003', 'note', 9]]);
      assert.equal(results[0]!.locations[0]!.physicalLocation.artifactLocation.uri, 'test/fixtures/haproxy-configs/hash-source.cfg');
    }
    if (file === 'clean.cfg') assert.equal(results.length, 0);
    // Every result's rule is in the driver's rule table.
    const known = new Set(sarif.runs[0]!.tool.driver.rules.map((r) => r.id));
    for (const r of results) assert.ok(known.has(r.ruleId));
  }
  // A broken document must not validate (the validator bites).
  assert.equal(validate({ version: '2.1.0', runs: [{ results: [] }] }), false);
});

const haproxy = findHaproxy(process.env);
test('haproxy -c runs when the binary exists and its errors land on their lines', { skip: haproxy ? false : 'no haproxy binary (apt-get install haproxy)' }, async () => {
  const c = io();
  const code = await main(['audit', '--haproxy-config', join(DIR, 'syntax-error.cfg'), '--format', 'json'], c.io);
  const report = JSON.parse(c.out()) as { haproxy: { valid: boolean }; findings: JsonFinding[] };
  assert.equal(code, 1);
  assert.equal(report.haproxy.valid, false);
  const fromHaproxy = report.findings.filter((f) => f.message.startsWith('haproxy -c:'));
  assert.deepEqual(fromHaproxy.map((f) => f.at.line).sort(), [10, 11]);
  const ok = io();
  assert.equal(await main(['audit', '--haproxy-config', join(DIR, 'clean.cfg')], ok.io), 0);
  assert.match(ok.out(), /haproxy -c: configuration valid/);
});
