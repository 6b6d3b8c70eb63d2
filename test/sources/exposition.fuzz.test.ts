import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseExposition } from '../../src/sources/exposition.js';
import { formatExposition } from '../../src/sources/exposition-format.js';
import type { ExpositionFormat, ExpositionSample, Family, MetricType } from '../../src/signals/exposition-types.js';
import { SkewwatchError } from '../../src/util/errors.js';

/** Only SkewwatchError('parse') may escape, and a result is always well-typed data. */
function parseOrParseError(text: string, opts: Parameters<typeof parseExposition>[1] = {}): void {
  let fams: Family[];
  try {
    fams = parseExposition(text, opts);
  } catch (e) {
    if (e instanceof SkewwatchError && e.kind === 'parse') return;
    throw e;
  }
  for (const f of fams) {
    assert.equal(typeof f.name, 'string');
    for (const s of f.samples) {
      assert.equal(typeof s.value, 'number');
      assert.match(s.name, /^[a-zA-Z_:][a-zA-Z0-9_:]*$/);
      for (const [k, v] of Object.entries(s.labels)) {
        assert.match(k, /^[a-zA-Z_][a-zA-Z0-9_]*$/);
        assert.equal(typeof v, 'string');
      }
      if (s.timestampMs !== undefined) assert.ok(Number.isFinite(s.timestampMs));
    }
  }
}

// Characters that matter to the grammar, so random strings hit real paths.
const grammarChar = fc.constantFrom(
  '#', ' ', '\t', '\n', '\r', '{', '}', '"', '\\', '=', ',', 'a', '_', ':', '1', '.', 'e', '+', '-',
  'N', 'a', 'I', 'n', 'f', 'H', 'E', 'L', 'P', 'T', 'Y', 'O', 'F', 'x', '\u0000', 'é', '\u2028',
);
const grammarText = fc.array(grammarChar, { maxLength: 200 }).map((a) => a.join(''));

describe('exposition fuzz: never throws anything but SkewwatchError(parse)', () => {
  it('arbitrary unicode strings', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (s) => parseOrParseError(s)), { numRuns: 1500 });
  });

  it('arbitrary bytes decoded as UTF-8 and latin1', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const buf = Buffer.from(bytes);
        parseOrParseError(buf.toString('utf8'));
        parseOrParseError(buf.toString('latin1'), { contentType: 'application/openmetrics-text' });
      }),
      { numRuns: 1000 },
    );
  });

  it('grammar-shaped noise in both formats, with and without filters', () => {
    fc.assert(
      fc.property(grammarText, fc.boolean(), fc.boolean(), (s, om, filter) => {
        parseOrParseError(s, {
          format: om ? 'openmetrics' : 'prometheus',
          ...(filter && { keepNames: (n: string) => n.length % 2 === 0 }),
          includeHistograms: filter,
        });
      }),
      { numRuns: 3000 },
    );
  });

  it('mutations of a valid exposition', () => {
    const base = '# HELP m A help\n# TYPE m counter\nm{a="x",b="y\\"z"} 12.5 1000\nm{a="w"} NaN\n# TYPE h histogram\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n';
    fc.assert(
      fc.property(fc.nat(base.length), fc.nat(base.length), grammarText, (i, j, insert) => {
        const [a, b] = i <= j ? [i, j] : [j, i];
        const text = base.slice(0, a) + insert + base.slice(b);
        parseOrParseError(text);
        parseOrParseError(text + '# EOF\n', { includeHistograms: true });
      }),
      { numRuns: 2000 },
    );
  });
});

// ---- round trip ------------------------------------------------------------

const metricName = fc.stringMatching(/^[a-zA-Z_:][a-zA-Z0-9_:]{0,12}$/);
const labelName = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,8}$/);
// Text mixing the characters the escaping rules care about with arbitrary graphemes.
const specialChar = fc.constantFrom('\\', '"', '\n', '\t', ' ', '{', '}', ',', '=', '#', '\\n', 'é', '\u2028');
const textArb = (maxLength: number) =>
  fc.array(fc.oneof(specialChar, fc.string({ unit: 'grapheme', maxLength: 2 })), { maxLength }).map((a) => a.join(''));
// CR only matters at a line end, where it is stripped; keep it out.
const labelValue = textArb(8).filter((s) => !s.includes('\r'));
// HELP: leading blanks are separators, so a help text cannot start with one.
const helpText = textArb(10).filter((s) => !s.includes('\r') && !/^[ \t]/.test(s));
const value = fc.oneof(
  fc.double({ noDefaultInfinity: false, noNaN: false }),
  fc.integer({ min: -1e9, max: 1e9 }),
  fc.constantFrom(0, -0, NaN, Infinity, -Infinity),
);

const labelsArb = fc
  .uniqueArray(fc.tuple(labelName, labelValue), { maxLength: 4, selector: ([k]) => k })
  .map((pairs) => {
    const o: Record<string, string> = {};
    for (const [k, v] of pairs) {
      if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
      else o[k] = v;
    }
    return o;
  });

function familyArb(format: ExpositionFormat): fc.Arbitrary<Family> {
  const types: MetricType[] = format === 'openmetrics' ? ['counter', 'gauge', 'unknown', 'info'] : ['counter', 'gauge', 'untyped'];
  return fc
    .record({
      name: metricName,
      type: fc.constantFrom(...types),
      help: fc.option(helpText, { nil: undefined }),
      // One sample per series: a repeated series is dropped by the parser (first kept).
      samples: fc.uniqueArray(
        fc.record({
          labels: labelsArb,
          value,
          ts: fc.option(fc.integer({ min: 0, max: 4_000_000_000 }), { nil: undefined }),
        }),
        { maxLength: 4, selector: (r) => JSON.stringify(Object.entries(r.labels).sort()) },
      ),
    })
    .map(({ name, type, help, samples }) => {
      const sampleName = format === 'openmetrics' && type === 'counter' ? `${name}_total` : format === 'openmetrics' && type === 'info' ? `${name}_info` : name;
      const f: { -readonly [K in keyof Family]: Family[K] } = {
        name,
        type,
        samples: samples.map(({ labels, value, ts }): ExpositionSample => {
          // OpenMetrics timestamps are seconds: use whole milliseconds that survive /1000*1000.
          const s: { -readonly [K in keyof ExpositionSample]: ExpositionSample[K] } = { name: sampleName, labels, value };
          if (ts !== undefined) s.timestampMs = format === 'openmetrics' ? ts * 1000 : ts;
          return s;
        }),
      };
      if (help !== undefined) f.help = help;
      return f;
    });
}

function familiesArb(format: ExpositionFormat): fc.Arbitrary<Family[]> {
  return fc
    .uniqueArray(familyArb(format), { maxLength: 6, selector: (f) => f.name })
    .filter((fams) => {
      // Names must not collide through suffixes (m and m_total would be one family).
      const all = new Set<string>();
      for (const f of fams) for (const n of [f.name, ...f.samples.map((s) => s.name)]) all.add(n);
      for (const f of fams) {
        for (const suffix of ['_total', '_info', '_created', '_bucket', '_sum', '_count', '_gsum', '_gcount']) {
          if (all.has(f.name + suffix) && !f.samples.some((s) => s.name === f.name + suffix)) return false;
          if (f.name.endsWith(suffix) && all.has(f.name.slice(0, -suffix.length))) return false;
        }
      }
      return true;
    });
}

/** Families without samples and untyped without help disappear on the wire: compare what survives. */
function comparable(fams: Family[], format: ExpositionFormat): Family[] {
  return fams.filter((f) => f.samples.length > 0 || f.help !== undefined || (f.type !== 'untyped' && f.type !== 'unknown')).map((f) => ({ ...f }));
}

describe('exposition round trip: serialise, parse, compare', () => {
  for (const format of ['prometheus', 'openmetrics'] as const) {
    it(format, () => {
      fc.assert(
        fc.property(familiesArb(format), (fams) => {
          const text = formatExposition(fams, format);
          const parsed = parseExposition(text, { format });
          assert.deepStrictEqual(parsed, comparable(fams, format), text);
        }),
        { numRuns: 800 },
      );
    });
  }
});
