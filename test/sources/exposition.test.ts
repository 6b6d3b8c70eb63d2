import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { detectFormat, parseExposition, parseSampleValue, samplesNamed } from '../../src/sources/exposition.js';
import { isSkewwatchError } from '../../src/util/errors.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/exposition/${name}`, import.meta.url), 'utf8');

/** Assert a parse error of kind 'parse' whose message matches every pattern. */
function assertParseError(text: string, patterns: RegExp[], opts: Parameters<typeof parseExposition>[1] = {}): void {
  assert.throws(
    () => parseExposition(text, opts),
    (e: unknown) => {
      assert.ok(isSkewwatchError(e, 'parse'), `expected SkewwatchError(parse), got ${String(e)}`);
      for (const p of patterns) assert.match(e.message, p);
      return true;
    },
  );
}

describe('parseExposition: text format 0.0.4', () => {
  it('reads HELP, TYPE, labels and values', () => {
    const fams = parseExposition(
      '# HELP http_requests_total The total.\n# TYPE http_requests_total counter\nhttp_requests_total{method="post",code="200"} 1027\nhttp_requests_total{method="post",code="400"}    3\n',
    );
    assert.equal(fams.length, 1);
    assert.deepEqual(fams[0], {
      name: 'http_requests_total',
      type: 'counter',
      help: 'The total.',
      samples: [
        { name: 'http_requests_total', labels: { method: 'post', code: '200' }, value: 1027 },
        { name: 'http_requests_total', labels: { method: 'post', code: '400' }, value: 3 },
      ],
    });
  });

  it('unescapes label values (\\\\, \\", \\n) and HELP (\\\\, \\n)', () => {
    const fams = parseExposition('# HELP m a\\\\b\\nc\nm{path="C:\\\\dir\\"x\\"\\nend"} 1\n');
    assert.equal(fams[0]!.help, 'a\\b\nc');
    assert.equal(fams[0]!.samples[0]!.labels.path, 'C:\\dir"x"\nend');
  });

  it('reads NaN, +Inf, -Inf, exponents and signs', () => {
    const fams = parseExposition('a NaN\nb +Inf\nc -Inf\nd 1.5e3\ne -0.25\nf .5\ng 1E-2\nh +3\n');
    const v = Object.fromEntries(fams.map((f) => [f.name, f.samples[0]!.value]));
    assert.ok(Number.isNaN(v.a));
    assert.equal(v.b, Infinity);
    assert.equal(v.c, -Infinity);
    assert.equal(v.d, 1500);
    assert.equal(v.e, -0.25);
    assert.equal(v.f, 0.5);
    assert.equal(v.g, 0.01);
    assert.equal(v.h, 3);
  });

  it('reads millisecond timestamps', () => {
    const fams = parseExposition('m{a="b"} 1 1395066363000\nn 2 -5\n');
    assert.equal(fams[0]!.samples[0]!.timestampMs, 1395066363000);
    assert.equal(fams[1]!.samples[0]!.timestampMs, -5);
  });

  it('ignores comments and blank lines, tolerates CRLF, blanks and a trailing comma', () => {
    const fams = parseExposition('# just a comment\n\nm{a="1",} 1\r\n# EOF is only a comment here\n  \n'.replace('  \n', ''));
    assert.equal(fams.length, 1);
    assert.deepEqual(fams[0]!.samples[0]!.labels, { a: '1' });
    const tabbed = parseExposition('m\t{ a = "1" , b="2" }\t 7 \n');
    assert.deepEqual(tabbed[0]!.samples[0], { name: 'm', labels: { a: '1', b: '2' }, value: 7 });
  });

  it('accepts a last line without newline and an empty input', () => {
    assert.equal(parseExposition('m 1').length, 1);
    assert.deepEqual(parseExposition(''), []);
  });

  it('drops histogram and summary series unless asked', () => {
    const text =
      '# TYPE lat histogram\nlat_bucket{le="0.1"} 1\nlat_bucket{le="+Inf"} 2\nlat_sum 0.3\nlat_count 2\n' +
      '# TYPE q summary\nq{quantile="0.5"} 1\nq_sum 3\nq_count 4\ng 1\n';
    const without = parseExposition(text);
    assert.deepEqual(
      without.map((f) => [f.name, f.samples.length]),
      [['lat', 0], ['q', 0], ['g', 1]],
    );
    const withH = parseExposition(text, { includeHistograms: true });
    assert.deepEqual(
      withH.map((f) => [f.name, f.samples.map((s) => s.name)]),
      [
        ['lat', ['lat_bucket', 'lat_bucket', 'lat_sum', 'lat_count']],
        ['q', ['q', 'q_sum', 'q_count']],
        ['g', ['g']],
      ],
    );
    assert.equal(withH[0]!.samples[1]!.labels.le, '+Inf');
  });

  it('keeps untyped _bucket/_sum series (no TYPE says they are a histogram)', () => {
    const fams = parseExposition('x_bucket{le="1"} 1\nx_sum 2\n');
    assert.deepEqual(fams.map((f) => f.name), ['x_bucket', 'x_sum']);
  });

  it('filters by name with a Set or a function, matching sample or family names', () => {
    const text = '# TYPE a counter\na 1\n# TYPE b gauge\nb{x="1"} 2\nb{x="2"} 3\nc 4\n';
    assert.deepEqual(parseExposition(text, { keepNames: new Set(['b']) }).map((f) => [f.name, f.samples.length]), [['b', 2]]);
    const calls: string[] = [];
    const fams = parseExposition(text, {
      keepNames: (n) => {
        calls.push(n);
        return n === 'c';
      },
    });
    assert.deepEqual(fams.map((f) => f.name), ['c']);
    assert.equal(new Set(calls).size, calls.length, 'function called once per distinct name');
  });

  it('does not validate lines it was told to skip, but validates kept ones', () => {
    const text = 'skipped{garbage 1 2 3\nkept{a="1"} 1\n';
    assert.equal(parseExposition(text, { keepNames: new Set(['kept']) }).length, 1);
    assertParseError(text, [/line 1/]);
  });

  it('treats a __proto__ label as a plain key', () => {
    const fams = parseExposition('m{__proto__="x",constructor="y"} 1\n');
    const labels = fams[0]!.samples[0]!.labels;
    assert.equal(Object.getPrototypeOf(labels), Object.prototype);
    assert.deepEqual(Object.keys(labels), ['__proto__', 'constructor']);
    assert.equal(Object.getOwnPropertyDescriptor(labels, '__proto__')!.value, 'x');
  });

  it('merges samples of a family that reappears later', () => {
    const fams = parseExposition('# TYPE a gauge\na{x="1"} 1\nb 2\na{x="2"} 3\n');
    assert.deepEqual(fams.map((f) => [f.name, f.samples.length]), [['a', 2], ['b', 1]]);
  });
});

describe('parseExposition: OpenMetrics 1.0', () => {
  it('detects the format from Content-Type or a trailing # EOF', () => {
    assert.equal(detectFormat('', 'application/openmetrics-text; version=1.0.0; charset=utf-8'), 'openmetrics');
    assert.equal(detectFormat('# EOF\n', 'text/plain; version=0.0.4'), 'prometheus');
    assert.equal(detectFormat('a 1\n# EOF\n'), 'openmetrics');
    assert.equal(detectFormat('a 1\n# EOF'), 'openmetrics');
    assert.equal(detectFormat('a 1\nx# EOF\n'), 'prometheus');
    assert.equal(detectFormat('a 1\n'), 'prometheus');
  });

  it('reads counters with _total, UNIT, seconds timestamps, ignores _created', () => {
    const text =
      '# TYPE req counter\n# UNIT req requests\n# HELP req Requests \\"served\\".\nreq_total{a="1"} 5 1520879607.789\nreq_created{a="1"} 1520872607.123\n# EOF\n';
    const fams = parseExposition(text);
    assert.deepEqual(fams, [
      {
        name: 'req',
        type: 'counter',
        unit: 'requests',
        help: 'Requests "served".',
        samples: [{ name: 'req_total', labels: { a: '1' }, value: 5, timestampMs: 1520879607789 }],
      },
    ]);
  });

  it('tolerates exemplars', () => {
    const text =
      '# TYPE c counter\nc_total 7 # {trace_id="abc"} 1 1600000000.5\n# TYPE h histogram\nh_bucket{le="1"} 1 # {t="x"} 0.5\nh_bucket{le="+Inf"} 1\nh_count 1\nh_sum 0.5\n# EOF\n';
    const fams = parseExposition(text, { includeHistograms: true });
    assert.equal(fams[0]!.samples[0]!.value, 7);
    assert.equal(fams[1]!.samples.length, 4);
  });

  it('reads info, stateset, gaugehistogram and unknown families', () => {
    const text =
      '# TYPE build info\nbuild_info{version="1"} 1\n# TYPE st stateset\nst{st="a"} 1\nst{st="b"} 0\n# TYPE gh gaugehistogram\ngh_bucket{le="+Inf"} 3\ngh_gcount 3\ngh_gsum 2\nfree 1\n# EOF\n';
    const fams = parseExposition(text);
    assert.deepEqual(
      fams.map((f) => [f.name, f.type, f.samples.length]),
      [['build', 'info', 1], ['st', 'stateset', 2], ['gh', 'gaugehistogram', 0], ['free', 'unknown', 1]],
    );
  });

  it('requires # EOF, last, and no blank lines', () => {
    const ct = 'application/openmetrics-text';
    assertParseError('a 1\n', [/line 1/, /'# EOF'/], { contentType: ct });
    assertParseError('a 1\n# EOF\nb 2\n', [/line 3/, /nothing after '# EOF'/], { contentType: ct });
    assertParseError('a 1\n\n# EOF\n', [/line 2/, /empty line/], { contentType: ct });
    assertParseError('# EOF extra\n', [/line 1/, /exactly '# EOF'/], { contentType: ct });
  });

  it('rejects a malformed exemplar and an integer-only timestamp rule does not apply', () => {
    assertParseError('c_total 1 # trace\n# EOF\n', [/line 1/, /exemplar/]);
    assert.equal(parseExposition('c 1 1.5\n# EOF\n')[0]!.samples[0]!.timestampMs, 1500);
  });
});

describe('parseExposition: errors name the line and what was expected', () => {
  const cases: Array<[string, string, RegExp[]]> = [
    ['metric name', 'ok 1\n9bad 1\n', [/line 2, column 1/, /expected a metric name/, /found '9'/]],
    ['missing value', 'ok 1\nm\n', [/line 2/, /'\{' or a blank after the metric name m|a value for m/]],
    ['missing value after labels', 'm{a="b"}\n', [/line 1/, /a value for m/]],
    ['bad value', 'm 12abc\n', [/line 1, column 3/, /a number, NaN, \+Inf or -Inf/]],
    ['bad value word', 'm{a="b"} foo\n', [/as the value of m/]],
    ['label name', 'm{1a="b"} 1\n', [/line 1, column 3/, /label name or '}'/]],
    ['missing =', 'm{a "b"} 1\n', [/'=' after label name "a"/, /found '"'/]],
    ['missing quote', 'm{a=b} 1\n', [/'"' opening the value of label "a"/]],
    ['unterminated value', 'm{a="b} 1\n', [/closing '"' of the value of label "a"/, /end of line/]],
    ['label "__name__"', 'm{__name__="x"} 1\n', [/label "__name__" in m/]],
    ['missing comma', 'm{a="1" b="2"} 1\n', [/',' or '}' after the value of label "a"/]],
    ['unclosed labels', 'm{a="1",\n', [/label name or '}'/, /end of line/]],
    ['duplicate label', 'm{a="1",a="2"} 1\n', [/label "a" appears twice/]],
    ['bad timestamp', 'm 1 12.5\n', [/integer timestamp in milliseconds/]],
    ['trailing garbage', 'm 1 2 3\n', [/end of line after the sample of m/, /column 7/]],
    ['exemplar in 0.0.4', 'm 1 # {a="b"} 1\n', [/end of line after the sample of m/]],
    ['TYPE without a type', '# TYPE m\n', [/line 1/, /a metric type/]],
    ['TYPE bad name', '# TYPE 1x counter\n', [/a metric name after '# TYPE'/]],
    ['TYPE unknown type', '# TYPE m countr\n', [/a metric type \(counter, gauge/]],
    ['TYPE trailing', '# TYPE m counter extra\n', [/end of line after the type of m/]],
    ['second TYPE', '# TYPE m counter\n# TYPE m gauge\n', [/line 2/, /second TYPE line for m/]],
    ['TYPE after samples', 'm 1\n# TYPE m gauge\n', [/line 2/, /TYPE line for m after its samples/]],
    ['second HELP', '# HELP m a\n# HELP m b\n', [/line 2/, /second HELP line for m/]],
    ['control character', 'm\u0001 1\n', [/control character 0x01/]],
    ['quoted UTF-8 name', '{"my.metric"} 1\n', [/quoted UTF-8 metric names are not supported/, /column 2/]],
    ['info type in 0.0.4', '# TYPE m info\n', [/a metric type/]],
  ];
  for (const [title, text, patterns] of cases) {
    it(title, () => assertParseError(text, patterns));
  }

  it('OpenMetrics-specific errors', () => {
    const ct = 'application/openmetrics-text';
    assertParseError('# TYPE m untyped\n# EOF\n', [/a metric type/], { contentType: ct });
    assertParseError('# UNIT m a b\n# EOF\n', [/end of line after the unit of m/], { contentType: ct });
    assertParseError('# UNIT m s\n# UNIT m s\n# EOF\n', [/second UNIT line/], { contentType: ct });
    assertParseError('m 1 abc\n# EOF\n', [/timestamp in seconds/], { contentType: ct });
    assertParseError('m 1 +Inf\n# EOF\n', [/timestamp in seconds/], { contentType: ct });
  });

  it('messages say OpenMetrics or exposition', () => {
    assertParseError('9\n# EOF\n', [/^OpenMetrics line 1/]);
    assertParseError('9\n', [/^exposition line 1/]);
  });
});

describe('parseSampleValue', () => {
  it('accepts Go ParseFloat spellings of special values and rejects junk', () => {
    assert.equal(parseSampleValue('inf'), Infinity);
    assert.equal(parseSampleValue('-Infinity'), -Infinity);
    assert.ok(Number.isNaN(parseSampleValue('nan')!));
    for (const bad of ['', '+', '-', '.', 'e5', '1e', '1e+', '0x10', '1_000', '1.2.3', 'Infx', ' 1', '1 ']) {
      assert.equal(parseSampleValue(bad), undefined, bad);
    }
  });
});

describe('real exporter output', () => {
  it('HAProxy 2.6 built-in exporter', () => {
    const fams = parseExposition(fixture('haproxy-2.6.txt'), { contentType: 'text/plain; version=0.0.4' });
    assert.ok(fams.length > 150);
    const status = samplesNamed(fams, 'haproxy_server_status');
    assert.deepEqual(
      [...new Set(status.map((s) => s.labels.state))].sort(),
      ['DOWN', 'DRAIN', 'MAINT', 'NOLB', 'UP'],
    );
    const weight = samplesNamed(fams, 'haproxy_server_weight').find((s) => s.labels.server === 's3');
    assert.equal(weight?.value, 50);
    assert.equal(fams.find((f) => f.name === 'haproxy_server_http_responses_total')?.type, 'counter');
  });

  it('HAProxy with a name filter keeps only what a preset needs', () => {
    const fams = parseExposition(fixture('haproxy-2.6.txt'), { keepNames: new Set(['haproxy_server_weight']) });
    assert.deepEqual(fams.map((f) => f.name), ['haproxy_server_weight']);
    assert.equal(fams[0]!.samples.length, 6);
  });

  it('node_exporter 1.5', () => {
    const fams = parseExposition(fixture('node-exporter.txt'));
    const cpu = samplesNamed(fams, 'node_cpu_seconds_total');
    assert.ok(cpu.length >= 8);
    assert.ok(cpu.every((s) => s.labels.cpu !== undefined && s.labels.mode !== undefined));
    const gc = fams.find((f) => f.name === 'go_gc_duration_seconds')!;
    assert.equal(gc.type, 'summary');
    assert.equal(gc.samples.length, 0);
    const withH = parseExposition(fixture('node-exporter.txt'), { includeHistograms: true });
    assert.equal(withH.find((f) => f.name === 'go_gc_duration_seconds')!.samples.length, 7);
  });

  it('prom-client text format', () => {
    const fams = parseExposition(fixture('prom-client.txt'), { contentType: 'text/plain; version=0.0.4; charset=utf-8' });
    assert.ok(samplesNamed(fams, 'process_cpu_seconds_total')[0]!.value > 0);
    const req = fams.find((f) => f.name === 'http_requests_total')!;
    assert.equal(req.help, 'Requests handled.\nSecond line with \\ backslash');
    assert.deepEqual(req.samples[1]!.labels, { route: '/q"uote\\', code: '500' });
  });

  it('prom-client OpenMetrics format with exemplars', () => {
    const fams = parseExposition(fixture('prom-client-openmetrics.txt'), {
      contentType: 'application/openmetrics-text; version=1.0.0; charset=utf-8',
      includeHistograms: true,
    });
    assert.equal(samplesNamed(fams, 'http_requests_total')[0]!.value, 7);
    assert.equal(fams.find((f) => f.name === 'process_cpu_seconds')!.type, 'counter');
    assert.ok(samplesNamed(fams, 'http_request_duration_seconds_bucket').length >= 3);
  });
});

describe('performance', () => {
  it('parses a 10 MB scrape with a name filter quickly', () => {
    const lines: string[] = ['# TYPE wanted counter'];
    for (let i = 0; i < 50; i++) lines.push(`wanted{server="s${i}"} ${i}`);
    const filler = 'unwanted_metric_with_a_long_name{proxy="be_app",server="s12345",code="2xx",extra="xxxxxxxxxxxxxxxx"} 123456\n';
    const text = lines.join('\n') + '\n' + filler.repeat(Math.ceil((10 * 1024 * 1024) / filler.length));
    assert.ok(text.length > 10 * 1024 * 1024);
    const t0 = performance.now();
    const fams = parseExposition(text, { keepNames: new Set(['wanted']) });
    const filtered = performance.now() - t0;
    assert.equal(fams.length, 1);
    assert.equal(fams[0]!.samples.length, 50);
    const t1 = performance.now();
    const all = parseExposition(text);
    const full = performance.now() - t1;
    assert.equal(all.length, 2);
    // Generous bounds for slow CI machines; typical is ~60 ms filtered, ~400 ms full.
    assert.ok(filtered < 1500, `filtered parse took ${filtered} ms`);
    assert.ok(full < 8000, `full parse took ${full} ms`);
  });
});
