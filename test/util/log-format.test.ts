// SKEWWATCH_LOG_FORMAT: json stays pino's (epoch-ms, for machines); logfmt and
// pretty carry ISO 8601 times for people, keep every field, and still redact.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../../src/util/logger.js';
import { formatLogLine, parseLogFormat } from '../../src/util/log-format.js';
import { registerSecret } from '../../src/util/redact.js';

function capture(format: 'json' | 'logfmt' | 'pretty') {
  const lines: string[] = [];
  const log = createLogger({ format, stream: { write: (l: string) => { lines.push(l); } } });
  return { log, lines };
}

const AT = Date.parse('2026-12-01T09:30:00.123Z');

test('json is pino as before: epoch-ms time', () => {
  const { log, lines } = capture('json');
  log.info({ pool: 'be_app' }, 'cycle done');
  const rec = JSON.parse(lines[0]!);
  assert.equal(typeof rec.time, 'number');
  assert.equal(rec.msg, 'cycle done');
});

test('logfmt: ISO time, level, msg, then every field (nested as dotted keys), quoted when needed', () => {
  const line = formatLogLine(JSON.stringify({ level: 'warn', time: AT, pid: 1, hostname: 'h', name: 'skewwatch', msg: 'source failed', err: { type: 'Error', message: 'connect ECONNREFUSED "x"' }, pool: 'be_app', blind: 3 }), 'logfmt');
  assert.equal(line, 'time=2026-12-01T09:30:00.123Z level=warn msg="source failed" name=skewwatch err.type=Error err.message="connect ECONNREFUSED \\"x\\"" pool=be_app blind=3\n');
});

test('pretty: ISO time, padded level, message, then the fields', () => {
  const line = formatLogLine(JSON.stringify({ level: 'info', time: AT, name: 'skewwatch', msg: 'listening', listen: '0.0.0.0:9465' }), 'pretty');
  assert.equal(line, '2026-12-01T09:30:00.123Z INFO  listening  listen=0.0.0.0:9465\n');
});

test('the formatted loggers still redact secrets', () => {
  registerSecret('s3cr3t-token-value');
  for (const format of ['logfmt', 'pretty'] as const) {
    const { log, lines } = capture(format);
    log.warn('request to https://example.invalid/?key=s3cr3t-token-value failed');
    assert.equal(lines.length, 1);
    assert.doesNotMatch(lines[0]!, /s3cr3t-token-value/, format);
    assert.match(lines[0]!, /^(time=)?\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/, `${format} starts with an ISO time`);
  }
});

test('SKEWWATCH_LOG_FORMAT accepts json, logfmt, pretty (default json) and names the choices otherwise', () => {
  assert.equal(parseLogFormat(undefined), 'json');
  assert.equal(parseLogFormat('logfmt'), 'logfmt');
  assert.throws(() => parseLogFormat('xml'), /SKEWWATCH_LOG_FORMAT: expected one of json, logfmt, pretty, got "xml"/);
});
