// The exposition parser against material nobody on this project wrote
// (../shared/conformance, provenance in its README): the OpenMetrics parser
// suite, the Prometheus text-format (expfmt) cases, cAdvisor's expected
// output and Traefik v3's asserted metrics. Every case must come out as its
// owners say, except the deviations listed here, each with its reason (and
// in docs/scrape-and-presets.md). A listed deviation that stops deviating
// fails too, so the lists stay true.
//
// The material is read at test time, never copied. When the directory is
// missing the test FAILS (it does not skip): CI has ../shared beside the clone.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseExposition, samplesNamed } from '../../src/sources/exposition.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
// ../shared beside the clone (CI and /work/main); worktrees one level deeper
// find it one level up; SKEWWATCH_CONFORMANCE_DIR overrides.
const CANDIDATES = [process.env.SKEWWATCH_CONFORMANCE_DIR, join(ROOT, '../shared/conformance'), join(ROOT, '../../shared/conformance')].filter(
  (d): d is string => d !== undefined && d !== '',
);
const DIR = CANDIDATES.find((d) => existsSync(join(d, 'README.md')));

function dir(): string {
  assert.ok(DIR, `conformance material not found (looked in ${CANDIDATES.join(', ')}): check out ../shared beside the repository or set SKEWWATCH_CONFORMANCE_DIR`);
  return DIR;
}

function parses(text: string, format: 'openmetrics' | 'prometheus'): string | true {
  try {
    parseExposition(text, { format, includeHistograms: true });
    return true;
  } catch (e) {
    return (e as Error).message;
  }
}

/**
 * OpenMetrics "bad" cases we accept, by case-name prefix. skewwatch is a
 * consumer that reads a few counters and gauges of a balancer; these rules
 * police the producer, and Prometheus' own scrape parser does not enforce
 * most of them either. Rejecting a whole scrape for them would lose the
 * signals we do read ("bad input: lose nothing").
 */
const OM_ACCEPTED_BAD: ReadonlyArray<readonly [string, string]> = [
  ['bad_counter_values_', 'counter/histogram value rules (negative, NaN, non-integer counts): values are not judged by family type'],
  ['bad_histograms_', 'bucket ordering, +Inf bucket, _count/_sum consistency: histograms are not read by any preset'],
  ['bad_exemplar_', 'exemplar rules (size, timestamp): exemplars are read only to be skipped'],
  ['bad_exemplars_', 'exemplar rules (allowed types and samples): exemplars are read only to be skipped'],
  ['bad_grouping_or_ordering_', 'interleaved families or series out of order: samples are attributed by name, order does not matter to us'],
  ['bad_missing_or_invalid_labels_for_a_type_', 'le/quantile/stateset labels per type: not read'],
  ['bad_info_and_stateset_values_', 'info = 1 and stateset 0/1 values: not read'],
  ['bad_stateset_info_values_', 'info = 1 and stateset 0/1 values: not read'],
  ['bad_unit_', 'UNIT must suffix the name / be non-empty: units are not used'],
  ['bad_help_2', 'HELP without text: harmless'],
  ['bad_help_3', 'HELP without text: harmless'],
  ['bad_metadata', 'unknown # keyword is read as a plain comment, as in 0.0.4'],
  ['bad_metadata_in_wrong_place_1', 'HELP after the samples: metadata order does not change a value'],
  ['bad_metadata_in_wrong_place_2', 'metadata order does not change a value'],
  ['bad_clashing_names_2', 'a gauge named like another family\'s _created: resolved by name'],
  ['bad_missing_or_extra_commas_2', 'trailing comma in labels, which Prometheus\' lexer accepts'],
  ['bad_type_6', 'trailing blank after TYPE'],
  ['bad_value_1', 'double blank before the value'],
  ['bad_value_2', 'trailing tab after the value'],
  ['bad_value_3', 'trailing blank after the value'],
];

/** expfmt (0.0.4) "bad" cases we accept, with the reason. */
const TEXT_ACCEPTED_BAD: Readonly<Record<string, string>> = {
  'bad_00.txt': 'last line without a newline: Prometheus\' scrape lexer accepts it',
  'bad_01.txt': 'unknown escape (\\t) in a label value: kept literally, as Prometheus\' scrape lexer does (the OpenMetrics suite requires it)',
  'bad_07.txt': 'invalid quantile label: summaries are not read',
  'bad_19.txt': 'invalid le label: histograms are not read',
  'bad_20.txt': 'invalid UTF-8 in a label value: the body is already decoded to a JS string (U+FFFD), nothing left to check',
  'bad_32.txt': 'hex-float le label: histograms are not read',
  'bad_33.txt': 'hex-float quantile label: summaries are not read',
  'bad_43.txt': 'negative histogram count: histograms are not read',
  'bad_44.txt': 'negative histogram bucket: histograms are not read',
  'bad_45.txt': 'non-integer histogram count: histograms are not read',
  'bad_46.txt': 'non-integer histogram bucket: histograms are not read',
};

/** expfmt "good" cases we reject, with the reason. */
const TEXT_REJECTED_GOOD: Readonly<Record<string, string>> = {
  'good_05.txt': 'quoted UTF-8 metric name: Prometheus 3 sends it only when asked, and we never ask',
  'good_06.txt': 'quoted UTF-8 metric name',
  'good_07.txt': 'quoted UTF-8 metric name',
  'good_08.txt': 'quoted UTF-8 metric name',
  'good_09.txt': 'quoted UTF-8 metric name',
  'good_10.txt': 'quoted UTF-8 metric name',
  'good_11.txt': 'quoted UTF-8 metric name',
};

describe('conformance: OpenMetrics parser suite', () => {
  it('every case comes out as the suite says, except the listed deviations', () => {
    const root = join(dir(), 'openmetrics-parsers');
    const cases = readdirSync(root).sort();
    assert.ok(cases.length > 200, `expected the full suite, found ${cases.length} cases`);
    const wrong: string[] = [];
    const usedPrefixes = new Set<string>();
    let good = 0;
    for (const c of cases) {
      const spec = JSON.parse(readFileSync(join(root, c, 'test.json'), 'utf8')) as { file: string; shouldParse: boolean };
      const got = parses(readFileSync(join(root, c, spec.file), 'utf8'), 'openmetrics');
      if (spec.shouldParse) {
        good++;
        if (got !== true) wrong.push(`${c}: must parse, got ${got}`);
        continue;
      }
      if (got !== true) continue;
      const dev = OM_ACCEPTED_BAD.find(([p]) => c === p || (p.endsWith('_') && c.startsWith(p)));
      if (dev === undefined) wrong.push(`${c}: must be rejected, was accepted`);
      else usedPrefixes.add(dev[0]);
    }
    assert.ok(good >= 44, `good cases: ${good}`);
    assert.deepEqual(wrong, []);
    const stale = OM_ACCEPTED_BAD.map(([p]) => p).filter((p) => !usedPrefixes.has(p));
    assert.deepEqual(stale, [], 'deviations that no longer deviate: remove them here and in the docs');
  });

  it('unknown escapes in label values are kept as written (\\z, \\f)', () => {
    const root = join(dir(), 'openmetrics-parsers');
    const fams = parseExposition(readFileSync(join(root, 'escaping', 'metrics'), 'utf8'), { format: 'openmetrics' });
    const values = samplesNamed(fams, 'a_total').map((s) => [s.labels.foo, s.value]);
    assert.deepEqual(values, [
      ['b"a\nr', 1],
      ['b\\a\\z', 2],
      ['b"a\nr # ', 3],
      ['b\\a\\z # ', 4],
    ]);
  });
});

describe('conformance: Prometheus text format (expfmt) cases', () => {
  it('every case comes out as expfmt says, except the listed deviations', () => {
    const root = join(dir(), 'expfmt-text-cases');
    const files = readdirSync(root).filter((f) => f.endsWith('.txt')).sort();
    assert.ok(files.length >= 60, `expected the full set, found ${files.length}`);
    const wrong: string[] = [];
    const stale = new Set([...Object.keys(TEXT_ACCEPTED_BAD), ...Object.keys(TEXT_REJECTED_GOOD)]);
    for (const f of files) {
      const got = parses(readFileSync(join(root, f), 'utf8'), 'prometheus');
      const good = f.startsWith('good_');
      if (good && got !== true) {
        if (f in TEXT_REJECTED_GOOD && /quoted UTF-8 metric names are not supported/.test(got)) stale.delete(f);
        else wrong.push(`${f}: must parse, got ${got}`);
      } else if (!good && got === true) {
        if (f in TEXT_ACCEPTED_BAD) stale.delete(f);
        else wrong.push(`${f}: must be rejected, was accepted`);
      }
    }
    assert.deepEqual(wrong, []);
    assert.deepEqual([...stale], [], 'deviations that no longer deviate');
  });

  it('leading blanks, a value right after }, a bare # HELP, gaugehistogram: values as written', () => {
    const fams = parseExposition(readFileSync(join(dir(), 'expfmt-text-cases', 'good_02.txt'), 'utf8'), { format: 'prometheus' });
    const name2 = samplesNamed(fams, 'name2').map((s) => [s.labels.labelname, s.value]);
    assert.deepEqual(name2, [
      ['val2', Infinity],
      ['val1', -Infinity],
    ]);
    assert.equal(fams.find((f) => f.name === 'name2')!.type, 'gauge', 'indented TYPE line is read');
    const gh = parseExposition(readFileSync(join(dir(), 'expfmt-text-cases', 'good_15.txt'), 'utf8'), { format: 'prometheus', includeHistograms: true });
    assert.equal(gh[0]!.type, 'gaugehistogram');
    assert.equal(samplesNamed(gh, 'request_duration_microseconds_count')[0]!.value, 2693);
  });
});

describe('conformance: exporters\' own expected output', () => {
  it('cAdvisor: container CPU series parse with their container labels', () => {
    const fams = parseExposition(readFileSync(join(dir(), 'cadvisor-prometheus_metrics.txt'), 'utf8'));
    const cpu = samplesNamed(fams, 'container_cpu_usage_seconds_total');
    assert.ok(cpu.length > 0);
    for (const s of cpu) assert.ok(Number.isFinite(s.value) && s.value >= 0);
  });

  it('Traefik v3 asserted metrics parse (both files)', () => {
    for (const f of readdirSync(join(dir(), 'traefik-v3'))) {
      const fams = parseExposition(readFileSync(join(dir(), 'traefik-v3', f), 'utf8'));
      assert.equal(samplesNamed(fams, 'traefik_service_requests_total').length, 3, f);
    }
  });
});

describe('a series repeated within one scrape', () => {
  it('keeps the first and reports the repeat (Prometheus refuses the later sample)', () => {
    const dups: string[] = [];
    const fams = parseExposition('m{b="2",a="1"} 5\nm{a="1",b="2"} 7\nm{a="1"} 1\n', { onDuplicate: (s) => dups.push(s) });
    assert.deepEqual(samplesNamed(fams, 'm').map((s) => s.value), [5, 1]);
    assert.deepEqual(dups, ['m{a="1",b="2"}']);
  });
});
