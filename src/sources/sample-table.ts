// One instant-query answer kept compactly: for each series, the values of a
// few labels (interned strings, by position) and its sample value, in flat
// arrays. 100,000 series cost about 100,000 × (labels + 1) slots, instead of
// 100,000 objects with their own label records.
import type { SeriesSink } from './prometheus-scan.js';

export interface SampleTable {
  /** The labels kept, by position. */
  readonly labelNames: readonly string[];
  readonly size: number;
  /** The value of label `label` (a position in labelNames) of series `row`; undefined when absent. */
  labelAt(row: number, label: number): string | undefined;
  valueAt(row: number): number;
}

export class CompactVector implements SampleTable, SeriesSink {
  private readonly labels: Array<string | undefined> = [];
  private readonly values: number[] = [];

  constructor(readonly labelNames: readonly string[]) {}

  get size(): number {
    return this.values.length;
  }

  labelAt(row: number, label: number): string | undefined {
    return this.labels[row * this.labelNames.length + label];
  }

  valueAt(row: number): number {
    return this.values[row]!;
  }

  add(labels: ReadonlyArray<string | undefined>, value: number): void {
    for (let i = 0; i < this.labelNames.length; i++) this.labels.push(labels[i]);
    this.values.push(value);
  }

  /** SeriesSink: the scanner's projected labels, vector samples only. */
  series(labels: Record<string, string> | Array<string | undefined>, value: number | undefined): void {
    if (value !== undefined && Array.isArray(labels)) this.add(labels, value);
  }

  /** The same table from samples with full label sets (replay, tests). */
  static from(samples: ReadonlyArray<{ readonly metric: Readonly<Record<string, string>>; readonly value: number }>, labelNames: readonly string[]): CompactVector {
    const t = new CompactVector(labelNames);
    for (const s of samples) t.add(labelNames.map((l) => s.metric[l]), s.value);
    return t;
  }
}
