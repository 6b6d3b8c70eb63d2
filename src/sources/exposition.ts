// Parser for the Prometheus text exposition format 0.0.4 and OpenMetrics 1.0.
//
// A hand-written scanner over the whole string: one indexOf('\n') per line and
// charCode comparisons inside it, no regular expression and no split(). With
// `keepNames` the parser reads only the metric name of every sample line it
// does not need and jumps to the next line, so a 10 MB scrape of which a preset
// needs a few hundred lines costs about one pass of indexOf.
//
// Strictness: every line the caller keeps is fully checked; a malformed one
// throws SkewwatchError('parse') naming the line, the column and what was
// expected. Lines the caller asked to drop (name filter, `_created`,
// histogram/summary series without `includeHistograms`) are only checked up
// to their metric name: validating text nobody reads would cost the speed the
// filter exists for.
//
// Formats: https://prometheus.io/docs/instrumenting/exposition_formats/ and
// https://github.com/OpenObservability/OpenMetrics/blob/main/specification/OpenMetrics.md

import { SkewwatchError } from '../util/errors.js';
import {
  BACKSLASH,
  COMMA,
  CR,
  describeAt,
  EQUALS,
  HASH,
  isIntegerToken,
  isLabelChar,
  isLabelStart,
  isNameChar,
  isNameStart,
  LBRACE,
  NL,
  parseSampleValue,
  QUOTE,
  RBRACE,
  setLabel,
  SPACE,
  TAB,
} from './exposition-lex.js';
import type { ExpositionFormat, ExpositionSample, Family, MetricType } from '../signals/exposition-types.js';
import { CREATED_TYPES, DISTRIBUTION_TYPES, FamilyTable, OM_TYPES, PROM_SUFFIXES, PROM_TYPES, SUFFIXES, type Builder } from './exposition-families.js';

export { parseSampleValue } from './exposition-lex.js';

export type { ExpositionFormat, ExpositionSample, Family, MetricType } from '../signals/exposition-types.js';

export interface ParseOptions {
  /** HTTP Content-Type of the response; `application/openmetrics-text` selects OpenMetrics. */
  readonly contentType?: string;
  /** Overrides contentType. Without either, a text whose last line is `# EOF` is OpenMetrics. */
  readonly format?: ExpositionFormat;
  /**
   * Keep only samples whose sample name or family name passes. A Set is
   * matched exactly; a function is called once per distinct name.
   */
  readonly keepNames?: ReadonlySet<string> | ((name: string) => boolean);
  /** Keep histogram/gaugehistogram/summary series (_bucket, _sum, _count, quantile). Default false. */
  readonly includeHistograms?: boolean;
  /**
   * Called for a series (name and labels) repeated within one exposition. The
   * repeat is dropped and the first kept, as Prometheus does (it refuses the
   * later sample: prometheus_target_scrapes_sample_duplicate_timestamp_total).
   */
  readonly onDuplicate?: (series: string, line: number) => void;
}

/** Decide the format from the Content-Type, else from a trailing `# EOF` line. */
export function detectFormat(text: string, contentType?: string): ExpositionFormat {
  if (contentType !== undefined && contentType !== '') {
    return contentType.toLowerCase().includes('application/openmetrics-text') ? 'openmetrics' : 'prometheus';
  }
  let end = text.length;
  if (end > 0 && text.charCodeAt(end - 1) === NL) end--;
  if (end >= 5 && text.startsWith('# EOF', end - 5) && (end === 5 || text.charCodeAt(end - 6) === NL)) {
    return 'openmetrics';
  }
  return 'prometheus';
}

/**
 * Parse an exposition into families, in order of first appearance. Throws
 * SkewwatchError('parse') on the first malformed line that is kept.
 */
export function parseExposition(text: string, options: ParseOptions = {}): Family[] {
  const format = options.format ?? detectFormat(text, options.contentType);
  const om = format === 'openmetrics';
  const types = om ? OM_TYPES : PROM_TYPES;
  const implicitType: MetricType = om ? 'unknown' : 'untyped';
  const includeHistograms = options.includeHistograms === true;

  const keepOpt = options.keepNames;
  let keep: ((name: string) => boolean) | undefined;
  if (keepOpt instanceof Set) {
    keep = (name) => keepOpt.has(name);
  } else if (typeof keepOpt === 'function') {
    const fn = keepOpt;
    const cache = new Map<string, boolean>();
    keep = (name) => {
      let v = cache.get(name);
      if (v === undefined) {
        v = fn(name) === true;
        cache.set(name, v);
      }
      return v;
    };
  }

  /** Series already read, to keep the first of a repeated one instead of adding both up downstream. */
  const seen = new Set<string>();
  const table = new FamilyTable(implicitType, keep, om ? SUFFIXES : PROM_SUFFIXES);
  let current: Builder | undefined;
  let sawEof = false;

  const n = text.length;
  let pos = 0;
  let lineNo = 0;
  let lineStart = 0;
  /** Where the physical line starts (lineStart skips 0.0.4's leading blanks); columns count from here. */
  let lineBase = 0;
  let lineEnd = 0;

  const fail = (at: number, expected: string): never => {
    throw new SkewwatchError(
      'parse',
      `${om ? 'OpenMetrics' : 'exposition'} line ${lineNo}, column ${at - lineBase + 1}: expected ${expected}, found ${describeAt(text, at, lineEnd)}`,
    );
  };
  const failLine = (message: string): never => {
    throw new SkewwatchError('parse', `${om ? 'OpenMetrics' : 'exposition'} line ${lineNo}: ${message}`);
  };

  const getOrCreate = (name: string): Builder => table.getOrCreate(name);
  const skippable = table.skippable;

  const skipBlanks = (p: number): number => {
    while (p < lineEnd) {
      const c = text.charCodeAt(p);
      if (c !== SPACE && c !== TAB) break;
      p++;
    }
    return p;
  };

  const readMetricName = (p: number, what: string): number => {
    if (p >= lineEnd || !isNameStart(text.charCodeAt(p))) fail(p, what);
    p++;
    while (p < lineEnd && isNameChar(text.charCodeAt(p))) p++;
    return p;
  };

  /** Reads `{name="value",...}` starting at '{'; returns the position after '}'. */
  const readLabels = (p: number, into: Record<string, string>, metric: string): number => {
    p++; // '{'
    for (;;) {
      p = skipBlanks(p);
      if (p >= lineEnd) fail(p, `label name or '}' in labels of ${metric}`);
      if (text.charCodeAt(p) === RBRACE) return p + 1;
      const nameStart = p;
      if (!isLabelStart(text.charCodeAt(p))) fail(p, `label name or '}' in labels of ${metric}`);
      p++;
      while (p < lineEnd && isLabelChar(text.charCodeAt(p))) p++;
      const labelName = text.slice(nameStart, p);
      p = skipBlanks(p);
      if (p >= lineEnd || text.charCodeAt(p) !== EQUALS) fail(p, `'=' after label name "${labelName}"`);
      p = skipBlanks(p + 1);
      if (p >= lineEnd || text.charCodeAt(p) !== QUOTE) fail(p, `'"' opening the value of label "${labelName}"`);
      p++;
      const valueStart = p;
      let value: string | undefined;
      // Fast path: no escapes.
      while (p < lineEnd) {
        const c = text.charCodeAt(p);
        if (c === QUOTE) {
          value = text.slice(valueStart, p);
          break;
        }
        if (c === BACKSLASH) break;
        p++;
      }
      if (value === undefined) {
        let out = text.slice(valueStart, p);
        while (p < lineEnd) {
          const c = text.charCodeAt(p);
          if (c === QUOTE) break;
          if (c === BACKSLASH) {
            const e = p + 1 < lineEnd ? text.charCodeAt(p + 1) : -1;
            if (e === BACKSLASH) out += '\\';
            else if (e === QUOTE) out += '"';
            else if (e === 110) out += '\n';
            else if (e < 0) fail(p + 1, `closing '"' of the value of label "${labelName}"`);
            // Any other escape (\z, \f) is kept as written, backslash and all:
            // Prometheus' scrape lexer accepts it and unescapes only \\, \" and \n.
            else out += '\\' + text[p + 1];
            p += 2;
            continue;
          }
          out += text[p];
          p++;
        }
        value = out;
      }
      if (p >= lineEnd) fail(p, `closing '"' of the value of label "${labelName}"`);
      p++; // closing quote
      if (labelName === '__name__') failLine(`label "__name__" in ${metric}: the metric name goes before the braces`);
      if (Object.prototype.hasOwnProperty.call(into, labelName)) {
        failLine(`label "${labelName}" appears twice in ${metric}`);
      }
      setLabel(into, labelName, value);
      p = skipBlanks(p);
      if (p >= lineEnd) fail(p, `',' or '}' after the value of label "${labelName}"`);
      const c = text.charCodeAt(p);
      if (c === COMMA) {
        p++;
        continue;
      }
      if (c === RBRACE) return p + 1;
      fail(p, `',' or '}' after the value of label "${labelName}"`);
    }
  };

  const readToken = (p: number): number => {
    while (p < lineEnd) {
      const c = text.charCodeAt(p);
      if (c === SPACE || c === TAB) break;
      p++;
    }
    return p;
  };

  /** Parses `# {labels} value [timestamp]` (OpenMetrics exemplar) and discards it. */
  const readExemplar = (p: number): number => {
    p++; // '#'
    p = skipBlanks(p);
    if (p >= lineEnd || text.charCodeAt(p) !== LBRACE) fail(p, `'{' opening an exemplar's labels`);
    p = readLabels(p, {}, 'exemplar');
    p = skipBlanks(p);
    const vEnd = readToken(p);
    if (parseSampleValue(text.slice(p, vEnd)) === undefined) fail(p, 'an exemplar value');
    p = skipBlanks(vEnd);
    if (p < lineEnd) {
      const tEnd = readToken(p);
      if (parseSampleValue(text.slice(p, tEnd)) === undefined) fail(p, 'an exemplar timestamp');
      p = skipBlanks(tEnd);
    }
    return p;
  };

  const unescapeHelp = (s: string): string => {
    if (!s.includes('\\')) return s;
    let out = '';
    for (let i = 0; i < s.length; i++) {
      const c = s[i]!;
      if (c === '\\' && i + 1 < s.length) {
        const e = s[i + 1]!;
        if (e === '\\') out += '\\';
        else if (e === 'n') out += '\n';
        else if (e === '"' && om) out += '"';
        else out += c + e; // unknown escapes in HELP are kept literally
        i++;
        continue;
      }
      out += c;
    }
    return out;
  };

  const handleComment = (): void => {
    let p = skipBlanks(lineStart + 1);
    const kwEnd = readToken(p);
    const keyword = text.slice(p, kwEnd);
    if (keyword === 'EOF' && om) {
      if (skipBlanks(kwEnd) !== lineEnd || kwEnd !== lineStart + 5) failLine(`expected exactly '# EOF'`);
      sawEof = true;
      return;
    }
    const isHelp = keyword === 'HELP';
    const isType = keyword === 'TYPE';
    const isUnit = keyword === 'UNIT' && om;
    if (!isHelp && !isType && !isUnit) return; // plain comment
    p = skipBlanks(kwEnd);
    // A bare `# HELP` is a plain comment to Prometheus' 0.0.4 parser.
    if (!om && p === lineEnd) return;
    if (p === kwEnd) fail(p, `a blank after '# ${keyword}'`);
    if (p < lineEnd && text.charCodeAt(p) === QUOTE) quotedName(p);
    const nameStart = p;
    p = readMetricName(p, `a metric name after '# ${keyword}'`);
    const name = text.slice(nameStart, p);
    const afterName = p;
    p = skipBlanks(p);
    if (p < lineEnd && p === afterName) fail(p, `a blank after the metric name in '# ${keyword}'`);
    const b = getOrCreate(name);
    if (isHelp) {
      const help = unescapeHelp(text.slice(p, lineEnd));
      // OpenMetrics forbids a second HELP; 0.0.4 (expfmt) only one that says something else.
      if (b.help !== undefined && (om || b.help !== help)) failLine(`second HELP line for ${name}`);
      b.help = help;
      return;
    }
    if (isUnit) {
      if (b.unit !== undefined) failLine(`second UNIT line for ${name}`);
      const uEnd = readToken(p);
      if (skipBlanks(uEnd) !== lineEnd) fail(skipBlanks(uEnd), `end of line after the unit of ${name}`);
      b.unit = text.slice(p, uEnd);
      return;
    }
    const tEnd = readToken(p);
    const word = text.slice(p, tEnd);
    const type = types.get(word);
    if (type === undefined) {
      fail(p, `a metric type (${[...types.keys()].join(', ')}) for ${name}`);
      return;
    }
    if (skipBlanks(tEnd) !== lineEnd) fail(skipBlanks(tEnd), `end of line after the type of ${name}`);
    if (b.typeDeclared) failLine(`second TYPE line for ${name}`);
    if (b.sawSample) failLine(`TYPE line for ${name} after its samples`);
    b.type = type;
    b.typeDeclared = true;
  };

  const resolveFamily = (name: string) => table.resolve(name, current);

  /**
   * Quoted UTF-8 metric names (`{"my.metric"}`, `# HELP "my.metric"`) are
   * Prometheus 3's opt-in syntax, sent only to scrapers that ask for it in
   * Accept (escaping=allow-utf-8); we never ask, so a balancer that sends it
   * anyway is reported clearly rather than misread.
   */
  const quotedName = (at: number): never =>
    fail(at, 'a metric name (quoted UTF-8 metric names are not supported: skewwatch does not request them)');

  const handleSample = (): void => {
    const nameEnd = readMetricName(lineStart, `a metric name or '#' at the start of the line`);
    const name = text.slice(lineStart, nameEnd);
    const { family, suffix } = resolveFamily(name);
    current = family;
    family.sawSample = true;
    if (suffix === '_created' && CREATED_TYPES.has(family.type)) return;
    if (!includeHistograms && DISTRIBUTION_TYPES.has(family.type)) return;
    if (keep !== undefined && !family.wanted && !keep(name)) return;

    const labels: Record<string, string> = {};
    let p = skipBlanks(nameEnd);
    if (p < lineEnd && text.charCodeAt(p) === LBRACE) {
      p = readLabels(p, labels, name);
      const afterLabels = p;
      p = skipBlanks(p);
      // 0.0.4 (and Prometheus' lexer) allow the value right after '}'; OpenMetrics needs the blank.
      if (om && p === afterLabels) fail(p, `a blank before the value of ${name}`);
    } else if (p === nameEnd) {
      fail(p, `'{' or a blank after the metric name ${name}`);
    }
    if (p >= lineEnd) fail(p, `a value for ${name}`);
    const vEnd = readToken(p);
    const value = parseSampleValue(text.slice(p, vEnd));
    if (value === undefined) fail(p, `a number, NaN, +Inf or -Inf as the value of ${name}`);
    let timestampMs: number | undefined;
    p = skipBlanks(vEnd);
    if (p < lineEnd && text.charCodeAt(p) !== HASH) {
      const tEnd = readToken(p);
      const token = text.slice(p, tEnd);
      if (om) {
        const seconds = parseSampleValue(token);
        if (seconds === undefined || !Number.isFinite(seconds)) fail(p, `a timestamp in seconds for ${name}`);
        timestampMs = (seconds as number) * 1000;
      } else {
        if (!isIntegerToken(token)) fail(p, `an integer timestamp in milliseconds for ${name}`);
        timestampMs = Number(token);
      }
      p = skipBlanks(tEnd);
    }
    if (p < lineEnd && text.charCodeAt(p) === HASH) {
      if (!om) fail(p, `end of line after the sample of ${name}`);
      p = readExemplar(p);
    }
    if (p < lineEnd) fail(p, `end of line after the sample of ${name}`);
    const key = seriesKey(name, labels);
    if (seen.has(key)) {
      options.onDuplicate?.(key, lineNo);
      return;
    }
    seen.add(key);
    const sample: ExpositionSample =
      timestampMs === undefined ? { name, labels, value: value as number } : { name, labels, value: value as number, timestampMs };
    family.samples.push(sample);
  };

  while (pos < n) {
    lineNo++;
    let eol = text.indexOf('\n', pos);
    if (eol < 0) eol = n;
    lineStart = pos;
    lineBase = pos;
    lineEnd = eol > pos && text.charCodeAt(eol - 1) === CR ? eol - 1 : eol;
    pos = eol + 1;
    if (sawEof) failLine(`expected nothing after '# EOF'`);
    // 0.0.4: blanks before a sample or a comment are allowed (Prometheus skips them).
    if (!om) lineStart = skipBlanks(lineStart);
    if (lineEnd === lineStart) {
      if (om) failLine('expected a sample or a comment, found an empty line (not allowed in OpenMetrics)');
      continue;
    }
    const c = text.charCodeAt(lineStart);
    if (c === LBRACE && text.charCodeAt(lineStart + 1) === QUOTE) quotedName(lineStart + 1);
    if (c === HASH) {
      handleComment();
      continue;
    }
    if (keep !== undefined && isNameStart(c)) {
      // Fast reject: read the name only and skip the line when nobody wants it.
      let p = lineStart + 1;
      while (p < lineEnd && isNameChar(text.charCodeAt(p))) p++;
      const name = text.slice(lineStart, p);
      if (!keep(name)) {
        if (skippable.has(name)) continue;
        const { family } = resolveFamily(name);
        if (!family.wanted) {
          current = family;
          family.sawSample = true;
          skippable.add(name);
          continue;
        }
      }
    }
    handleSample();
  }
  if (om && !sawEof) {
    throw new SkewwatchError('parse', `OpenMetrics line ${lineNo}: expected '# EOF' as the last line, found end of input`);
  }

  return table.toFamilies();
}

/** `name{a="1",b="2"}` with labels sorted: one key per series whatever the label order. */
function seriesKey(name: string, labels: Readonly<Record<string, string>>): string {
  const keys = Object.keys(labels).sort();
  return keys.length === 0 ? name : `${name}{${keys.map((k) => `${k}=${JSON.stringify(labels[k])}`).join(',')}}`;
}

/** All samples of the named family or sample name, flattened. */
export function samplesNamed(families: readonly Family[], name: string): ExpositionSample[] {
  const out: ExpositionSample[] = [];
  for (const f of families) {
    for (const s of f.samples) if (s.name === name) out.push(s);
  }
  return out;
}
