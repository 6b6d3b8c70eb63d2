// The compact-item fast path of the Prometheus answer scanner: which items it
// takes, and that an answer read with it gives exactly what the token-by-token
// reading gives (series, values to the bit, summary, and the string table's
// contents, so the same strings are shared), for random answers of every
// shape split into random chunks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ShortStringCache } from '../../src/sources/json-push.js';
import { ItemSpans, MAX_FAST_LABELS, bytesHash, findCompactItem } from '../../src/sources/prometheus-item.js';
import { PrometheusScanner, StringTable, type ScanOptions } from '../../src/sources/prometheus-scan.js';

const ITEM = '{"metric":{"proxy":"be_7500","server":"srv0"},"value":[1796164816.794,"0.6134541164237012"]}';

test('a compact item is found in one pass: where its labels and value are', () => {
  const b = Buffer.from(`,${ITEM},`);
  const s = new ItemSpans();
  assert.equal(findCompactItem(b, 1, s), true);
  assert.equal(s.end, 1 + ITEM.length);
  assert.equal(s.labels, 2);
  const text = (from: number, to: number) => b.toString('latin1', from, to);
  assert.deepEqual([text(s.label[0]!, s.label[1]!), text(s.label[3]!, s.label[4]!), text(s.label[6]!, s.label[7]!), text(s.label[9]!, s.label[10]!)], ['proxy', 'be_7500', 'server', 'srv0']);
  assert.deepEqual([s.label[2], s.label[5]], [bytesHash('proxy'), bytesHash('be_7500')]);
  assert.equal(text(s.sampleFrom, s.sampleTo), '0.6134541164237012');
  assert.equal(s.sampleHash, bytesHash('0.6134541164237012'));
  assert.deepEqual([text(s.metricKey, s.metricKey + 6), text(s.valueKey, s.valueKey + 5)], ['metric', 'value']);
  assert.equal(findCompactItem(Buffer.from('{"metric":{},"value":[1,"NaN"]}'), 0, s), true);
  assert.equal(s.labels, 0);
});

test('anything but the compact shape is left to the tokenizer', () => {
  const s = new ItemSpans();
  const many = Array.from({ length: MAX_FAST_LABELS + 1 }, (_, i) => `"l${i}":"v"`).join(',');
  for (const item of [
    ITEM.replace(':{', ': {'), // whitespace
    ITEM.replace('be_7500', 'be_\\u0037500'), // an escape
    ITEM.replace('be_7500', 'caf\u00e9'), // non-ASCII
    ITEM.replace('srv0', 'srv\u0001'), // a control character (invalid JSON: the tokenizer reports it)
    ITEM.replace('1796164816.794', '1.796164816794e9'), // exponent
    ITEM.replace('1796164816.794', '01796164816.794'), // leading zero (invalid JSON)
    ITEM.replace('1796164816.794', '1796164816.'), // (invalid JSON)
    ITEM.replace('1796164816.794', `1${'0'.repeat(50)}`), // a very long number
    ITEM.replace('"0.6134541164237012"', '0.61'), // a value that is not a string
    ITEM.replace('"0.6134541164237012"]', '"1","2"]'), // three elements
    ITEM.replace('}}', '},"extra":1}').replace(']}', '],"extra":1}'),
    '{"value":[1,"2"],"metric":{"a":"b"}}', // another key order
    '{"metric":{"a":1},"value":[1,"2"]}', // a label value that is not a string
    '{"metric":{"a":"b",},"value":[1,"2"]}', // a trailing comma (invalid JSON)
    `{"metric":{${many}},"value":[1,"2"]}`,
  ]) assert.equal(findCompactItem(Buffer.from(item), 0, s), false, item);
  // Every truncation: the rest is in the next chunk.
  for (let cut = 0; cut < ITEM.length; cut++) assert.equal(findCompactItem(Buffer.from(ITEM.slice(0, cut)), 0, s), false, String(cut));
});

type Seen = Array<{ labels: unknown; value: number | undefined; values: unknown }>;

function scan(bytes: Buffer, cuts: number[], opts: ScanOptions) {
  const seen: Seen = [];
  const s = new PrometheusScanner({ series: (labels, value, values) => seen.push({ labels: Array.isArray(labels) ? [...labels] : labels, value, values }) }, opts);
  let at = 0;
  try {
    for (const cut of [...cuts].sort((x, y) => x - y)) {
      s.write(bytes.subarray(at, cut));
      at = cut;
    }
    s.write(bytes.subarray(at));
    return { summary: s.end(), seen };
  } catch (e) {
    return { error: (e as Error).message, seen };
  }
}

const labelName = fc.oneof(fc.constantFrom('proxy', 'server', '__name__', 'a'), fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,6}$/));
const labelValue = fc.oneof(
  fc.constantFrom('be_1', 'be_2', 'srv0', 'srv1', '', '0', '-1', '+x', 'NaN', 'x'.repeat(49), 'a b', 'x!', '\u007f', '~#'),
  fc.stringMatching(/^[a-z0-9_.:-]{0,12}$/),
  fc.string({ unit: 'binary', maxLength: 6 }), // non-ASCII, controls (escaped by JSON.stringify)
);
const sample = fc.oneof(
  fc.double().map(String), fc.constantFrom('NaN', '+Inf', '-Inf', 'Inf', 'Infinity', '1e-3', '0', '-0', '00', '1.', '', 'x', ' 1', '0x10', '0.6134541164237012', '1'),
  fc.integer({ min: 0, max: 1000 }).map(String),
);
const time = fc.oneof(fc.constant(1796164816.794), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer());
const item = fc.oneof(
  { weight: 6, arbitrary: fc.record({ metric: fc.dictionary(labelName, labelValue, { maxKeys: 4 }), value: fc.tuple(time, sample) }) },
  fc.record({ value: fc.tuple(time, sample), metric: fc.dictionary(labelName, labelValue, { maxKeys: 2 }) }),
  fc.record({ metric: fc.dictionary(labelName, labelValue, { maxKeys: 2 }), values: fc.array(fc.tuple(time, sample), { maxLength: 2 }) }),
  fc.record({ metric: fc.dictionary(labelName, labelValue, { maxKeys: 2 }), value: fc.array(fc.oneof(time, sample), { maxLength: 3 }), extra: fc.constant(1) }),
  fc.constantFrom(null, 1, 'x', [1, '2'], {}),
);

// A second answer is read with the same string table: interning across answers is compared too.
test('random answers in random chunks: the fast path gives what token-by-token reading gives, strings and cache included', () => {
  const answer = fc.tuple(fc.array(item, { maxLength: 12 }), fc.boolean()).map(([result, pretty]) => {
    const doc = { status: 'success', data: { resultType: 'vector', result } };
    return Buffer.from(pretty ? JSON.stringify(doc, null, 1) : JSON.stringify(doc), 'utf8');
  });
  const cuts = fc.array(fc.nat(), { maxLength: 6 });
  fc.assert(fc.property(answer, cuts, answer, cuts, fc.boolean(), fc.boolean(), (a, aCuts, b, bCuts, projected, smallCache) => {
    const run = (compactItems: boolean) => {
      // A small cache with few front slots: clears and front collisions happen.
      const strings = new StringTable(smallCache ? new ShortStringCache(6, 4) : new ShortStringCache());
      const opts: ScanOptions = { compactItems, strings, ...(projected ? { project: ['proxy', 'server', 'a'] } : {}) };
      const first = scan(a, aCuts.map((c) => c % (a.length + 1)), opts);
      const second = scan(b, bCuts.map((c) => c % (b.length + 1)), opts);
      return { first, second, short: [...strings.short.map], other: [...strings.other] };
    };
    const fast = run(true);
    const plain = run(false);
    assert.deepEqual(fast, plain);
    // Values to the bit (deepEqual takes -0 for 0 and NaN for NaN, Object.is does not).
    const values = (r: typeof fast) => [...r.first.seen, ...r.second.seen].map((s) => s.value);
    values(fast).forEach((v, i) => assert.ok(Object.is(v, values(plain)[i]), `${v} vs ${values(plain)[i]}`));
  }), { numRuns: 400 });
});

test('the compact path keeps the interning: equal labels across answers are the table strings', () => {
  const strings = new StringTable();
  const answer = (items: string[]) => Buffer.from(`{"status":"success","data":{"resultType":"vector","result":[${items.join(',')}]}}`);
  const seen: string[] = [];
  for (let k = 0; k < 2; k++) {
    const s = new PrometheusScanner({ series: (labels) => seen.push((labels as string[])[0]!) }, { project: ['proxy'], strings });
    s.write(answer([ITEM, ITEM.replace('be_7500', 'be_7501')]));
    s.end();
  }
  assert.deepEqual(seen, ['be_7500', 'be_7501', 'be_7500', 'be_7501']);
  // Each name once: be_7500, be_7501, srv0 and the keys and words (status, success, data, resultType, vector, result, metric, proxy, server, value).
  assert.equal(strings.short.map.size, 3 + 10, [...strings.short.map.values()].join(' '));
});
