// Reads a Prometheus HTTP API answer (https://prometheus.io/docs/prometheus/latest/querying/api/)
// token by token as it streams in, keeping only what skewwatch uses:
//
//   {"status":"success"|"error", "errorType":…, "error":…, "warnings":[…],
//    "data":{"resultType":"vector"|"matrix"|"scalar"|…,"result":[…]}}
//
// Each result item ({"metric":{…},"value":[t,"v"]} for a vector,
// {"metric":{…},"values":[[t,"v"],…]} for a matrix) is handed to a
// SeriesSink as soon as it closes; everything else (stats, infos, histograms,
// unknown keys) is skipped without being built. With a label projection the
// sink gets only the labels it asked for, as interned strings, so 100,000
// series of one answer cost a few flat arrays instead of 100,000 objects.
import { JsonPushTokenizer, ShortStringCache, plainDecimal, type JsonHandler } from './json-push.js';
import { ItemSpans, METRIC_HASH, VALUE_HASH, findCompactItem } from './prometheus-item.js';

export type Scalar = string | number | boolean | null;

/** Prometheus encodes sample values as strings, including "NaN", "+Inf", "-Inf". */
export function sampleValue(v: Scalar | undefined): number {
  if (typeof v === 'number') return v;
  if (v === '+Inf' || v === 'Inf') return Infinity;
  if (v === '-Inf') return -Infinity;
  return Number(v);
}

export interface SeriesSink {
  /**
   * One result item. `labels` is the full label set, or with a projection the
   * values of the projected labels by position (undefined when absent), in
   * an array reused for the next series: copy what you keep.
   * `value` is set for a vector sample ([t, v] present), `values` for a matrix series.
   */
  series(labels: Record<string, string> | Array<string | undefined>, value: number | undefined, values: Array<readonly [number, number]> | undefined): void;
}

/**
 * Strings shared by the answers of one cycle, so that one pool or backend
 * name is stored once: short ASCII ones in the tokenizer's cache, the others
 * (long, non-ASCII, escaped) in a map.
 */
export class StringTable {
  readonly other = new Map<string, string>();
  constructor(readonly short = new ShortStringCache()) {}
  get size(): number {
    return this.short.map.size + this.other.size;
  }
}

export interface ScanOptions {
  /** Keep only these labels (positional). Without it every label is kept. */
  readonly project?: readonly string[];
  readonly strings?: StringTable;
  /**
   * Read result items of the compact shape straight from the bytes
   * (prometheus-item.ts; default true). false: token by token only, the
   * reference the fast path is tested against.
   */
  readonly compactItems?: boolean;
}

/** What the answer said, besides its series. */
export interface ScanSummary {
  readonly isObject: boolean;
  readonly status: Scalar | undefined;
  readonly errorType: Scalar | undefined;
  readonly error: Scalar | undefined;
  readonly warnings: readonly string[];
  readonly hasData: boolean;
  readonly resultType: Scalar | undefined;
  /** data.result was an array. */
  readonly resultIsArray: boolean;
  /** The first two elements of data.result when they were scalars (a scalar result is [t, "v"]). */
  readonly scalarPair: readonly Scalar[];
  /** Result elements that were neither an object nor a scalar, or objects without a [t, v] `value`. */
  readonly itemsWithoutValue: number;
  readonly items: number;
}

const MAX_WARNINGS = 100;

// Where in the document the tokenizer is, as far as the answer's shape goes.
const enum P {
  Other, // anywhere we do not keep (skipped by depth)
  Top,
  Warnings,
  Data,
  Result,
  Item,
  Metric,
  Value,
  Values,
  Pair,
}

export class PrometheusScanner implements JsonHandler {
  private readonly tokenizer: JsonPushTokenizer;
  private readonly path: P[] = [];
  private topKey = '';
  private dataKey = '';
  private itemKey = '';
  private labelKey = '';
  private readonly projectIndex: Map<string, number> | undefined;
  private readonly intern: Map<string, string> | undefined;
  private readonly summary = {
    isObject: false, status: undefined as Scalar | undefined, errorType: undefined as Scalar | undefined, error: undefined as Scalar | undefined,
    warnings: [] as string[], hasData: false, resultType: undefined as Scalar | undefined, resultIsArray: false,
    scalarPair: [] as Scalar[], itemsWithoutValue: 0, items: 0,
  };
  // The item being read.
  private labels: Record<string, string> | Array<string | undefined> = {};
  private value: number | undefined;
  private values: Array<readonly [number, number]> | undefined;
  private valueIndex = 0;
  private valueTime: Scalar = null;
  private pairIndex = 0;
  private pairTime: Scalar = null;

  constructor(private readonly sink: SeriesSink, opts: ScanOptions = {}) {
    this.projectIndex = opts.project ? new Map(opts.project.map((l, i) => [l, i])) : undefined;
    this.intern = opts.strings?.other;
    this.tokenizer = new JsonPushTokenizer(this, opts.strings?.short);
    if (opts.compactItems !== false) this.tokenizer.objectReader = (chunk, at) => this.readCompactItem(chunk, at);
  }

  private readonly spans = new ItemSpans();

  /**
   * A result item of the compact shape (prometheus-item.ts) read from the
   * bytes, with the calls the tokenizer's tokens would have led to, in their
   * order: the same strings (from the same cache, which is left as the
   * tokenizer leaves it), labels and value. -1 for anything else.
   */
  private readCompactItem(chunk: Buffer, at: number): number {
    if (this.here !== P.Result) return -1;
    const s = this.spans;
    if (!findCompactItem(chunk, at, s)) return -1;
    const t = this.tokenizer;
    this.startItem();
    t.stringAt(chunk, s.metricKey, s.metricKey + 6, METRIC_HASH);
    const span = s.label;
    for (let o = 0; o < s.labels * 6; o += 6) {
      const name = t.stringAt(chunk, span[o]!, span[o + 1]!, span[o + 2]!);
      this.label(name, t.stringAt(chunk, span[o + 3]!, span[o + 4]!, span[o + 5]!));
    }
    t.stringAt(chunk, s.valueKey, s.valueKey + 5, VALUE_HASH);
    // A plain decimal is read from the bytes: exactly Number() of its text
    // (what sampleValue gives), and such a text never goes into the cache.
    const plain = plainDecimal(chunk, s.sampleFrom, s.sampleTo);
    if (plain !== undefined) {
      t.lastStringCached = false;
      this.value = plain;
    } else this.value = sampleValue(t.stringAt(chunk, s.sampleFrom, s.sampleTo, s.sampleHash));
    this.endItem();
    return s.end;
  }

  write(chunk: Buffer): void {
    this.tokenizer.write(chunk);
  }

  end(): ScanSummary {
    this.tokenizer.end();
    return this.summary;
  }

  /** Where the tokenizer is: the innermost container's role (undefined before the document). */
  private here: P | undefined = undefined;

  /** What a container opened in the current position is. */
  private child(array: boolean): P {
    switch (this.here) {
      case undefined: return array ? P.Other : P.Top;
      case P.Top:
        if (this.topKey === 'warnings' && array) return P.Warnings;
        if (this.topKey === 'data' && !array) return P.Data;
        return P.Other;
      case P.Data: return this.dataKey === 'result' && array ? P.Result : P.Other;
      case P.Result: return array ? P.Other : P.Item;
      case P.Item:
        if (this.itemKey === 'metric' && !array) return P.Metric;
        if (this.itemKey === 'value' && array) return P.Value;
        if (this.itemKey === 'values' && array) return P.Values;
        return P.Other;
      case P.Values: return array ? P.Pair : P.Other;
      default: return P.Other;
    }
  }

  private open(array: boolean): void {
    const p = this.child(array);
    if (p === P.Top) this.summary.isObject = true;
    else if (p === P.Data) this.summary.hasData = true;
    else if (p === P.Result) this.summary.resultIsArray = true;
    else if (p === P.Item) this.startItem();
    else if (p === P.Value) { this.value = NaN; this.valueIndex = 0; this.valueTime = null; }
    else if (p === P.Values) this.values = [];
    else if (p === P.Pair) { this.pairIndex = 0; this.pairTime = null; }
    else if (this.here === P.Result) this.summary.itemsWithoutValue++; // a nested array as a result element
    else if (this.here === P.Value) this.valueIndex++; // a container inside [t, v]: the value stays NaN
    this.path.push(p);
    this.here = p;
  }

  openObject(): void { this.open(false); }
  openArray(): void { this.open(true); }

  closeObject(): void { this.close(); }
  closeArray(): void { this.close(); }

  private close(): void {
    const p = this.path.pop();
    this.here = this.path[this.path.length - 1];
    if (p === P.Item) this.endItem();
  }

  key(name: string): void {
    switch (this.here) {
      case P.Top: this.topKey = name; break;
      case P.Data: this.dataKey = name; break;
      case P.Item: this.itemKey = name; break;
      case P.Metric: this.labelKey = name; break;
      default: break;
    }
  }

  scalar(v: Scalar): void {
    const s = this.summary;
    switch (this.here) {
      case P.Top:
        if (this.topKey === 'status') s.status = v;
        else if (this.topKey === 'errorType') s.errorType = v;
        else if (this.topKey === 'error') s.error = v;
        break;
      case P.Warnings:
        if (s.warnings.length < MAX_WARNINGS) s.warnings.push(String(v));
        break;
      case P.Data:
        if (this.dataKey === 'resultType') s.resultType = v;
        break;
      case P.Result:
        if (s.scalarPair.length < 2) s.scalarPair.push(v);
        s.itemsWithoutValue++;
        break;
      case P.Metric: this.label(this.labelKey, v); break;
      case P.Value:
        if (this.valueIndex === 0) this.valueTime = v;
        else if (this.valueIndex === 1) this.value = sampleValue(v);
        this.valueIndex++;
        break;
      case P.Pair:
        if (this.pairIndex === 0) this.pairTime = v;
        else if (this.pairIndex === 1) this.values!.push([Number(this.pairTime), sampleValue(v)]);
        this.pairIndex++;
        break;
      default: break;
    }
  }

  private label(name: string, v: Scalar): void {
    const text = typeof v === 'string' ? v : String(v);
    if (this.projectIndex) {
      const at = this.projectIndex.get(name);
      // A string from the tokenizer's cache is already the one instance of its text.
      if (at !== undefined) (this.labels as Array<string | undefined>)[at] = this.tokenizer.lastStringCached ? text : this.interned(text);
    } else {
      // As JSON.parse does: an own property, even for the (valid) label name __proto__.
      Object.defineProperty(this.labels, name, { value: text, enumerable: true, writable: true, configurable: true });
    }
  }

  private interned(text: string): string {
    if (!this.intern) return text;
    const known = this.intern.get(text);
    if (known !== undefined) return known;
    this.intern.set(text, text);
    return text;
  }

  private startItem(): void {
    this.summary.items++;
    // A projection reuses one array (the sink copies what it keeps); full label sets are new records.
    if (Array.isArray(this.labels) && this.projectIndex) {
      const labels = this.labels;
      for (let k = 0; k < labels.length; k++) labels[k] = undefined; // (Array.prototype.fill cost more on a few slots)
    }
    else this.labels = this.projectIndex ? new Array<string | undefined>(this.projectIndex.size).fill(undefined) : {};
    this.value = undefined;
    this.values = undefined;
    this.itemKey = '';
  }

  private endItem(): void {
    if (this.value === undefined) this.summary.itemsWithoutValue++;
    this.sink.series(this.labels, this.value, this.values);
  }
}
