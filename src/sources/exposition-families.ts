// Which family a sample line belongs to: the TYPE/HELP/UNIT metadata seen so
// far, the suffixes each type allows (`foo_total` of counter `foo`,
// `foo_bucket` of histogram `foo`), and the families in order of first
// appearance. The line reader in exposition.ts asks; this file decides.

import type { ExpositionSample, Family, MetricType } from '../signals/exposition-types.js';

export const PROM_TYPES: ReadonlyMap<string, MetricType> = new Map([
  ['counter', 'counter'],
  ['gauge', 'gauge'],
  ['histogram', 'histogram'],
  ['summary', 'summary'],
  ['untyped', 'untyped'],
  // Not in the 0.0.4 spec, but Prometheus' text parser accepts it (expfmt's
  // good cases include it), with the classic _sum/_count names.
  ['gaugehistogram', 'gaugehistogram'],
  ['gauge_histogram', 'gaugehistogram'],
]);
export const OM_TYPES: ReadonlyMap<string, MetricType> = new Map([
  ['counter', 'counter'],
  ['gauge', 'gauge'],
  ['histogram', 'histogram'],
  ['gaugehistogram', 'gaugehistogram'],
  ['summary', 'summary'],
  ['info', 'info'],
  ['stateset', 'stateset'],
  ['unknown', 'unknown'],
]);

/** Sample-name suffixes each family type allows (the empty string is the bare family name). */
export const SUFFIXES: Readonly<Record<MetricType, readonly string[]>> = {
  counter: ['', '_total', '_created'],
  gauge: [''],
  untyped: [''],
  unknown: [''],
  stateset: [''],
  info: ['', '_info'],
  summary: ['', '_sum', '_count', '_created'],
  histogram: ['_bucket', '_sum', '_count', '_created'],
  gaugehistogram: ['_bucket', '_gsum', '_gcount'],
};
/** 0.0.4: a gaugehistogram is written like a histogram (_sum, _count), as expfmt does. */
export const PROM_SUFFIXES: Readonly<Record<MetricType, readonly string[]>> = {
  ...SUFFIXES,
  gaugehistogram: ['_bucket', '_sum', '_count', '_gsum', '_gcount'],
};
const CANDIDATE_SUFFIXES = ['_total', '_bucket', '_count', '_sum', '_created', '_info', '_gcount', '_gsum'];
export const DISTRIBUTION_TYPES: ReadonlySet<MetricType> = new Set(['histogram', 'gaugehistogram', 'summary']);
export const CREATED_TYPES: ReadonlySet<MetricType> = new Set(['counter', 'histogram', 'summary', 'gaugehistogram']);

export interface Builder {
  name: string;
  type: MetricType;
  typeDeclared: boolean;
  help: string | undefined;
  unit: string | undefined;
  samples: ExpositionSample[];
  sawSample: boolean;
  /** The caller wants this family even when it has no samples (keepNames matched the family name). */
  wanted: boolean;
}


/** The families of one parse, keyed by name, with the suffix rules of their types. */
export class FamilyTable {
  private readonly families = new Map<string, Builder>();
  private readonly order: Builder[] = [];
  /**
   * Sample names known to be skippable (unwanted name, unwanted family).
   * Cleared whenever a new family appears, since that can change how names resolve.
   */
  readonly skippable = new Set<string>();

  constructor(
    private readonly implicitType: MetricType,
    private readonly keep: ((name: string) => boolean) | undefined,
    private readonly suffixes: Readonly<Record<MetricType, readonly string[]>> = SUFFIXES,
  ) {}

  getOrCreate(name: string): Builder {
    let b = this.families.get(name);
    if (b === undefined) {
      this.skippable.clear();
      b = {
        name,
        type: this.implicitType,
        typeDeclared: false,
        help: undefined,
        unit: undefined,
        samples: [],
        sawSample: false,
        wanted: this.keep === undefined || this.keep(name),
      };
      this.families.set(name, b);
      this.order.push(b);
    }
    return b;
  }

  /** The family a sample name belongs to (the current one first), plus the suffix it carries. */
  resolve(name: string, current: Builder | undefined): { family: Builder; suffix: string } {
    if (current !== undefined && name.startsWith(current.name)) {
      const suffix = name.slice(current.name.length);
      if (this.suffixes[current.type].includes(suffix)) return { family: current, suffix };
    }
    const exact = this.families.get(name);
    if (exact !== undefined && this.suffixes[exact.type].includes('')) return { family: exact, suffix: '' };
    for (const suffix of CANDIDATE_SUFFIXES) {
      if (name.length > suffix.length && name.endsWith(suffix)) {
        const f = this.families.get(name.slice(0, name.length - suffix.length));
        if (f !== undefined && this.suffixes[f.type].includes(suffix)) return { family: f, suffix };
      }
    }
    return { family: this.getOrCreate(name), suffix: '' };
  }

  /** The parsed families in order of first appearance (unwanted empty ones left out). */
  toFamilies(): Family[] {
    const out: Family[] = [];
    for (const b of this.order) {
      if (this.keep !== undefined && !b.wanted && b.samples.length === 0) continue;
      const f: { -readonly [K in keyof Family]: Family[K] } = { name: b.name, type: b.type, samples: b.samples };
      if (b.help !== undefined) f.help = b.help;
      if (b.unit !== undefined) f.unit = b.unit;
      out.push(f);
    }
    return out;
  }
}

