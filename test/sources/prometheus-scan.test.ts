// The streaming scanner of Prometheus API answers, on the examples of the
// API documentation (https://prometheus.io/docs/prometheus/latest/querying/api/),
// VictoriaMetrics' extra fields, malformed items, and random answers split
// into random chunks against a JSON.parse reference.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PrometheusScanner, StringTable, sampleValue, type ScanOptions, type SeriesSink } from '../../src/sources/prometheus-scan.js';
import { CompactVector } from '../../src/sources/sample-table.js';

type Seen = Array<{ labels: unknown; value: number | undefined; values: unknown }>;

function scan(text: string, opts: ScanOptions = {}, chunk = 7) {
  const seen: Seen = [];
  const sink: SeriesSink = { series: (labels, value, values) => seen.push({ labels, value, values }) };
  const s = new PrometheusScanner(sink, opts);
  const bytes = Buffer.from(text, 'utf8');
  for (let i = 0; i < bytes.length; i += chunk) s.write(bytes.subarray(i, i + chunk));
  return { summary: s.end(), seen };
}

// The documentation's instant-vector example, as printed there.
const DOCS_VECTOR = `{
   "status" : "success",
   "data" : {
      "resultType" : "vector",
      "result" : [
         {
            "metric" : { "__name__" : "up", "job" : "prometheus", "instance" : "localhost:9090" },
            "value": [ 1435781451.781, "1" ]
         },
         {
            "metric" : { "__name__" : "up", "job" : "node", "instance" : "localhost:9100" },
            "value" : [ 1435781451.781, "0" ]
         }
      ]
   }
}`;

const DOCS_MATRIX = `{
   "status" : "success",
   "data" : {
      "resultType" : "matrix",
      "result" : [
         { "metric" : { "__name__" : "up", "job" : "prometheus", "instance" : "localhost:9090" },
           "values" : [ [ 1435781430.781, "1" ], [ 1435781445.781, "1" ], [ 1435781460.781, "1" ] ] },
         { "metric" : { "__name__" : "up", "job" : "node", "instance" : "localhost:9091" },
           "values" : [ [ 1435781430.781, "0" ], [ 1435781445.781, "0" ], [ 1435781460.781, "1" ] ] }
      ]
   }
}`;

test('the docs instant-vector example: every label, the sample values', () => {
  const { summary, seen } = scan(DOCS_VECTOR);
  assert.equal(summary.status, 'success');
  assert.equal(summary.resultType, 'vector');
  assert.equal(summary.resultIsArray, true);
  assert.equal(summary.itemsWithoutValue, 0);
  assert.deepEqual(seen.map((s) => [s.labels, s.value]), [
    [{ __name__: 'up', job: 'prometheus', instance: 'localhost:9090' }, 1],
    [{ __name__: 'up', job: 'node', instance: 'localhost:9100' }, 0],
  ]);
});

test('a projection keeps only the labels asked for, by position, interned across answers', () => {
  const strings = new StringTable();
  const table = new CompactVector(['job', 'instance', 'missing']);
  const s = new PrometheusScanner(table, { project: table.labelNames, strings });
  s.write(Buffer.from(DOCS_VECTOR));
  s.end();
  assert.equal(table.size, 2);
  assert.deepEqual([table.labelAt(0, 0), table.labelAt(0, 1), table.labelAt(0, 2), table.valueAt(0)], ['prometheus', 'localhost:9090', undefined, 1]);
  assert.deepEqual([table.labelAt(1, 0), table.labelAt(1, 1), table.valueAt(1)], ['node', 'localhost:9100', 0]);
  const known = strings.size;
  // Long and non-ASCII label values are interned in the table's map.
  const other = new CompactVector(['job']);
  const long = `caf\u00e9-${'x'.repeat(60)}`;
  for (let k = 0; k < 2; k++) {
    const again = new PrometheusScanner(k === 0 ? new CompactVector(['job']) : other, { project: ['job'], strings });
    again.write(Buffer.from(DOCS_VECTOR.replace('"node"', JSON.stringify(long))));
    again.end();
  }
  assert.equal(other.labelAt(1, 0), long);
  assert.equal(strings.size, known + 1, 'the same answer again adds no string; the long value is stored once');
  assert.ok(strings.other.has(long));
});

test('the docs range-vector example: [t, v] pairs per series', () => {
  const { summary, seen } = scan(DOCS_MATRIX, {}, 13);
  assert.equal(summary.resultType, 'matrix');
  assert.deepEqual(seen[1]!.values, [[1435781430.781, 0], [1435781445.781, 0], [1435781460.781, 1]]);
  assert.deepEqual(seen[0]!.labels, { __name__: 'up', job: 'prometheus', instance: 'localhost:9090' });
});

test('the error format, warnings and infos; a scalar result', () => {
  const err = scan('{"status":"error","errorType":"bad_data","error":"1:5: parse error","warnings":["w1",2],"infos":["i"]}');
  assert.deepEqual([err.summary.status, err.summary.errorType, err.summary.error, err.summary.warnings], ['error', 'bad_data', '1:5: parse error', ['w1', '2']]);
  assert.equal(err.summary.hasData, false);
  const scalar = scan('{"status":"success","data":{"resultType":"scalar","result":[1435781451.781,"+Inf"]}}');
  assert.deepEqual(scalar.summary.scalarPair, [1435781451.781, '+Inf']);
  assert.equal(sampleValue(scalar.summary.scalarPair[1]), Infinity);
});

test('VictoriaMetrics fields, resultType after result, stats and histograms are skipped', () => {
  const vm = '{"status":"success","isPartial":false,"data":{"result":[{"metric":{"a":"1","nested":{"x":"y"}},"value":[1,"5"],"histogram":[1,{"count":"2"}]}],"resultType":"vector"},"stats":{"seriesFetched":"1","executionTimeMsec":3}}';
  const { summary, seen } = scan(vm);
  assert.equal(summary.resultType, 'vector');
  assert.deepEqual(seen, [{ labels: { a: '1' }, value: 5, values: undefined }]);
  assert.equal(summary.warnings.length, 0);
});

test('malformed result items are counted, never dropped silently', () => {
  const items = (r: string) => scan(`{"status":"success","data":{"resultType":"vector","result":${r}}}`).summary.itemsWithoutValue;
  assert.equal(items('[{"metric":{},"value":[1,"2"]}]'), 0);
  assert.equal(items('[null]'), 1);
  assert.equal(items('[[1,"2"]]'), 1);
  assert.equal(items('[{"metric":{}}]'), 1);
  assert.equal(items('[{"metric":{},"value":"2"}]'), 1);
  assert.equal(items('[{"metric":{},"value":{"v":"2"}}]'), 1);
  assert.equal(scan('{"status":"success","data":{"resultType":"vector","result":{}}}').summary.resultIsArray, false);
  assert.equal(scan('[{"status":"success"}]').summary.isObject, false);
  assert.equal(scan('{"status":"success","data":[]}').summary.hasData, false);
});

test('sample values as the API encodes them: numbers in strings, NaN, +Inf, -Inf', () => {
  const { seen } = scan('{"status":"success","data":{"resultType":"vector","result":[{"value":[1,"NaN"]},{"value":[1,"+Inf"]},{"value":[1,"-Inf"]},{"value":[1,"1e-3"]},{"value":[1]},{"value":[1,{}]}]}}');
  assert.deepEqual(seen.map((s) => s.value), [NaN, Infinity, -Infinity, 0.001, NaN, NaN]);
  assert.deepEqual(seen[0]!.labels, {});
});

test('random vector answers in random chunks: what JSON.parse would give', () => {
  const labelName = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,8}$/);
  const value = fc.oneof(fc.double().map(String), fc.constantFrom('NaN', '+Inf', '-Inf'));
  const item = fc.record({ metric: fc.dictionary(labelName, fc.string({ unit: 'binary' }), { maxKeys: 4 }), value: fc.tuple(fc.double({ noNaN: true, noDefaultInfinity: true }), value) });
  fc.assert(fc.property(fc.array(item, { maxLength: 20 }), fc.integer({ min: 1, max: 64 }), fc.boolean(), (result, chunk, pretty) => {
    const doc = { status: 'success', data: { resultType: 'vector', result }, warnings: ['w'] };
    const text = pretty ? JSON.stringify(doc, null, 2) : JSON.stringify(doc);
    const ref = (JSON.parse(text) as typeof doc).data.result;
    const { summary, seen } = scan(text, {}, chunk);
    assert.equal(summary.items, ref.length);
    assert.deepEqual(seen.map((s) => s.labels), ref.map((r) => r.metric));
    assert.deepEqual(seen.map((s) => s.value), ref.map((r) => sampleValue(r.value[1])));
    assert.deepEqual(summary.warnings, ['w']);
  }), { numRuns: 300 });
});

test('a large answer (200,000 series) in 64 KiB chunks', () => {
  const parts = ['{"status":"success","data":{"resultType":"vector","result":['];
  for (let i = 0; i < 200_000; i++) parts.push(`${i ? ',' : ''}{"metric":{"proxy":"pool${i % 20_000}","server":"srv${i % 10}","code":"2xx"},"value":[1764590000.123,"${i}.5"]}`);
  parts.push(']}}');
  const bytes = Buffer.from(parts.join(''));
  const strings = new StringTable();
  const table = new CompactVector(['proxy', 'server']);
  const s = new PrometheusScanner(table, { project: table.labelNames, strings });
  for (let i = 0; i < bytes.length; i += 65_536) s.write(bytes.subarray(i, i + 65_536));
  s.end();
  assert.equal(table.size, 200_000);
  assert.deepEqual([table.labelAt(123_457, 0), table.labelAt(123_457, 1), table.valueAt(123_457)], ['pool3457', 'srv7', 123_457.5]);
  // 20,000 pools + 10 servers + the keys (status, success, data, resultType, vector, result, metric, proxy, server, code, 2xx, value).
  // (A value split by a chunk boundary is decoded apart and interned in the map: at most one per chunk.)
  const chunks = Math.ceil(bytes.length / 65_536);
  assert.ok(strings.size >= 20_010 + 12 && strings.size <= 20_010 + 12 + chunks, String(strings.size));
});
