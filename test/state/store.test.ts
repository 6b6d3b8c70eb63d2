import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readdirSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { FileStateStore, STATE_VERSION, type PersistedState } from '../../src/state/store.js';
import { createLogger } from '../../src/util/logger.js';
import { INITIAL_EVALUATOR_STATE } from '../../src/core/alerting/evaluator.js';

function logCapture() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({ write(chunk, _e, cb) { for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l)); cb(); } });
  return { log: createLogger({ level: 'info', stream }), lines };
}

const state = (savedAt: number): PersistedState => ({
  version: STATE_VERSION, savedAt, evaluator: { ...INITIAL_EVALUATOR_STATE, blindCycles: 2 }, outbox: { version: 1, seq: 0, entries: [], done: [] }, histories: { be_app: { names: [], blocks: [], skip: 0 } },
});

test('save then load round-trips, atomically (no temp file left behind)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skewwatch-state-'));
  const { log } = logCapture();
  const store = new FileStateStore(dir, log);
  assert.equal(store.load(), null, 'no file: fresh start');
  store.save(state(1));
  store.save(state(2));
  assert.deepEqual(store.load(), state(2));
  assert.deepEqual(readdirSync(dir), ['state.json']);
});

for (const [name, content] of [
  ['truncated JSON', '{"version":1,"savedAt":'],
  ['not an object', '42'],
  ['wrong version', JSON.stringify({ ...state(1), version: 99 })],
  ['missing evaluator', JSON.stringify({ version: 1, savedAt: 1, histories: {} })],
] as const) {
  test(`a corrupt state file (${name}) is moved aside with a clear log line, not a crash`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'skewwatch-state-'));
    writeFileSync(join(dir, 'state.json'), content);
    const { log, lines } = logCapture();
    const store = new FileStateStore(dir, log, () => 1234);
    assert.equal(store.load(), null);
    assert.equal(existsSync(join(dir, 'state.json')), false);
    assert.equal(readFileSync(join(dir, 'state.json.corrupt-1234'), 'utf8'), content, 'the evidence is kept');
    const line = lines.find((l) => l.level === 'error');
    assert.ok(line, 'an error line is logged');
    assert.match(String(line.msg), /corrupt: moved aside/);
    assert.equal(line.movedTo, join(dir, 'state.json.corrupt-1234'));
    store.save(state(5));
    assert.deepEqual(store.load(), state(5), 'and the daemon carries on with a fresh state');
  });
}

test('an unwritable state dir is a typed error (the daemon counts it and retries)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'skewwatch-state-'));
  writeFileSync(join(dir, 'blocker'), 'a file, not a directory');
  const store = new FileStateStore(join(dir, 'blocker'), logCapture().log);
  assert.throws(() => store.save(state(1)), (e: Error & { kind?: string }) => e.kind === 'state' && /cannot write state/.test(e.message));
});
