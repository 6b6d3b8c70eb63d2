// The streaming JSON tokenizer against JSON.parse: same values for any valid
// document however it is split into chunks, the same verdict (valid or not)
// for arbitrary text, and every truncation refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { JsonPushTokenizer, JsonSyntaxError, ShortStringCache, plainDecimal, type JsonHandler } from '../../src/sources/json-push.js';

/** Rebuilds the value from the tokens, as a reference check. */
class Builder implements JsonHandler {
  private readonly stack: Array<{ c: unknown[] | Record<string, unknown>; key?: string }> = [];
  result: unknown;
  private put(v: unknown): void {
    const top = this.stack[this.stack.length - 1];
    if (!top) this.result = v;
    else if (Array.isArray(top.c)) top.c.push(v);
    else Object.defineProperty(top.c, top.key!, { value: v, enumerable: true, writable: true, configurable: true }); // as JSON.parse: __proto__ is an own key
  }
  openObject(): void { const c = {}; this.put(c); this.stack.push({ c }); }
  openArray(): void { const c: unknown[] = []; this.put(c); this.stack.push({ c }); }
  closeObject(): void { this.stack.pop(); }
  closeArray(): void { this.stack.pop(); }
  key(k: string): void { this.stack[this.stack.length - 1]!.key = k; }
  scalar(v: string | number | boolean | null): void { this.put(v); }
}

function tokenize(bytes: Buffer, cuts: number[] = [], cache?: ShortStringCache): unknown {
  const b = new Builder();
  const t = new JsonPushTokenizer(b, cache);
  let at = 0;
  for (const cut of [...cuts].sort((x, y) => x - y)) {
    t.write(bytes.subarray(at, cut));
    at = cut;
  }
  t.write(bytes.subarray(at));
  t.end();
  return b.result;
}

const accepts = (bytes: Buffer, cuts: number[] = []) => {
  try {
    tokenize(bytes, cuts);
    return true;
  } catch (e) {
    if (!(e instanceof JsonSyntaxError)) throw e;
    return false;
  }
};

test('any JSON value, split anywhere (inside strings, escapes, multi-byte characters, numbers, literals), gives what JSON.parse gives', () => {
  fc.assert(fc.property(fc.jsonValue(), fc.array(fc.nat()), (value, rawCuts) => {
    const text = JSON.stringify(value);
    const bytes = Buffer.from(text, 'utf8');
    const cuts = rawCuts.map((c) => c % (bytes.length + 1));
    assert.deepEqual(tokenize(bytes, cuts), JSON.parse(text));
  }), { numRuns: 500 });
});

test('escapes and non-ASCII text split byte by byte', () => {
  const text = JSON.stringify({ 'k\u00e9y': ['a"b\\c\n\u2028\ud83d\ude00', 'caf\u00e9', -1.5e-3, 0, true, false, null, {}, []] });
  const bytes = Buffer.from(text.replace('\\n', '\\u000a'), 'utf8');
  const everyByte = Array.from({ length: bytes.length }, (_, i) => i);
  assert.deepEqual(tokenize(bytes, everyByte), JSON.parse(bytes.toString('utf8')));
});

test('arbitrary text: accepted exactly when JSON.parse accepts it', () => {
  const near = fc.stringMatching(/^[\s{}[\]",:0-9eE.+\-a-z\\]{0,30}$/);
  fc.assert(fc.property(fc.oneof(fc.string(), near), fc.array(fc.nat(), { maxLength: 3 }), (text, rawCuts) => {
    fc.pre(!text.startsWith('\ufeff'));
    const bytes = Buffer.from(text, 'utf8');
    let parses = true;
    try { JSON.parse(text); } catch { parses = false; }
    assert.equal(accepts(bytes, rawCuts.map((c) => c % (bytes.length + 1))), parses, JSON.stringify(text));
  }), { numRuns: 3000 });
});

test('grammar errors JSON.parse refuses are refused, with the byte offset', () => {
  for (const bad of ['{"a":1,}', '[1,]', "{'a':1}", '{"a" 1}', '[01]', '[1.]', '[.5]', '[-]', '[1e]', '"a\u0001"', '"\\x"', '"\\u12G4"', '[tru]', '[nul', '{"a":1}x', '{"a":1}{}', '', '   ', '{', '[1 2]', '{"a":1 "b":2}', '[+1]', '{1:2}']) {
    assert.throws(() => tokenize(Buffer.from(bad)), JsonSyntaxError, JSON.stringify(bad));
  }
  assert.throws(() => tokenize(Buffer.from('{"a":[1,}')), /invalid JSON at byte 8/);
});

test('every truncation of a document is refused', () => {
  const text = JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [{ metric: { a: 'caf\u00e9' }, value: [1.5, '2'] }] }, n: -12.5e3 });
  for (let n = 0; n < text.length; n++) assert.equal(accepts(Buffer.from(text.slice(0, n))), false, text.slice(0, n));
  assert.equal(accepts(Buffer.from(text)), true);
});

test('a top-level number ends with the document; a leading byte order mark is ignored', () => {
  assert.equal(tokenize(Buffer.from('12'), [1]), 12);
  assert.deepEqual(tokenize(Buffer.from('\ufeff{"a":1}', 'utf8'), [4, 5]), { a: 1 });
});

test('nesting is bounded', () => {
  assert.throws(() => tokenize(Buffer.from('['.repeat(10_000))), /nested too deeply/);
});

test('the short-string cache: hash collisions and a full cache still give the right strings', () => {
  // "Aa" and "BB" have the same 31-multiplier hash.
  const cache = new ShortStringCache(3);
  assert.deepEqual(tokenize(Buffer.from('["Aa","BB","Aa","BB",{"Aa":"BB"}]'), [], cache), ['Aa', 'BB', 'Aa', 'BB', { Aa: 'BB' }]);
  fc.assert(fc.property(fc.jsonValue(), fc.array(fc.nat(), { maxLength: 4 }), (value, rawCuts) => {
    const bytes = Buffer.from(JSON.stringify(value), 'utf8');
    assert.deepEqual(tokenize(bytes, rawCuts.map((c) => c % (bytes.length + 1)), cache), JSON.parse(bytes.toString('utf8')));
  }), { numRuns: 300 });
  assert.ok(cache.map.size <= 3);
});

test('plain decimals read from bytes are exactly what Number() reads; anything else is left to Number()', () => {
  const decimal = fc.oneof(
    fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
    fc.tuple(fc.double({ min: -1e9, max: 1e9, noNaN: true }), fc.integer({ min: 0, max: 12 })).map(([x, d]) => x.toFixed(d)),
    fc.stringMatching(/^-?[0-9]{1,18}(\.[0-9]{1,18})?$/),
    fc.stringMatching(/^-?0\.[0-9]{14,24}$/),
    fc.stringMatching(/^-?[89][0-9]{14}\.?[0-9]{1,3}$/), // near the 2^53 bound
  );
  fc.assert(fc.property(decimal, (text) => {
    const v = plainDecimal(Buffer.from(text), 0, text.length);
    if (v !== undefined) assert.ok(Object.is(v, Number(text)), `${text}: ${v} vs ${Number(text)}`);
  }), { numRuns: 5000 });
  const read = (t: string) => plainDecimal(Buffer.from(t), 0, t.length);
  assert.equal(read('1764590000.123'), 1764590000.123);
  assert.ok(Object.is(read('-0'), -0));
  // 16 significant digits (as Prometheus writes CPU rates) while the digits stay below 2^53.
  assert.equal(read('0.6134541164237012'), 0.6134541164237012);
  assert.equal(read('49.07312976183334'), 49.07312976183334);
  assert.equal(read('900719925474098.9'), 900719925474098.9);
  for (const t of ['01', '1.', '.5', '-', '1e3', '+1', '1.2.3', '', '9007199254740993', '49.413082168496416', `0.${'0'.repeat(22)}1`]) assert.equal(read(t), undefined, t);
});

test('the cache front changes nothing: the map holds what a map alone held, and every string read is the same', () => {
  // The cache as it was before the front: one Map by hash, checked character by character.
  class MapOnly {
    readonly map = new Map<number, string>();
    constructor(readonly limit: number) {}
    read(text: string): string {
      let h = 0;
      for (let k = 0; k < text.length; k++) h = (Math.imul(h, 31) + text.charCodeAt(k)) | 0;
      const hit = this.map.get(h);
      if (hit === text) return hit;
      if (this.map.size >= this.limit) this.map.clear();
      this.map.set(h, text);
      return text;
    }
  }
  // Few letters and a tiny front: front slots shared by several hashes, equal hashes ("Aa", "BB"), clears.
  const word = fc.oneof(fc.constantFrom('Aa', 'BB', 'AaAa', 'AaBB', 'BBAa', 'BBBB'), fc.stringMatching(/^[AaBb]{1,4}$/));
  fc.assert(fc.property(fc.array(word, { maxLength: 40 }), fc.integer({ min: 1, max: 8 }), fc.constantFrom(1, 2, 4), (words, limit, slots) => {
    const cache = new ShortStringCache(limit, slots);
    const ref = new MapOnly(limit);
    for (const w of words) {
      assert.deepEqual(tokenize(Buffer.from(JSON.stringify([w])), [], cache), [w]);
      ref.read(w);
      assert.deepEqual([...cache.map], [...ref.map]);
    }
  }), { numRuns: 500 });
  assert.throws(() => new ShortStringCache(4, 3), /power of two/);
});
