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

/** Rows per chunk: a chunk is filled in place and never copied. */
const CHUNK_ROWS = 4096;

export class CompactVector implements SampleTable, SeriesSink {
  // Fixed-size chunks instead of arrays grown by push: a growing array
  // copies its backing store each time it grows (~1.5x), which made about
  // 40 MiB of garbage per cycle at 100,000 series x 11 answers. Values in
  // Float64Array chunks (no boxed numbers), labels in preallocated arrays.
  private readonly labelChunks: Array<Array<string | undefined>> = [];
  private readonly valueChunks: Float64Array[] = [];
  private rows = 0;

  constructor(readonly labelNames: readonly string[]) {}

  get size(): number {
    return this.rows;
  }

  labelAt(row: number, label: number): string | undefined {
    return this.labelChunks[(row / CHUNK_ROWS) | 0]![(row % CHUNK_ROWS) * this.labelNames.length + label];
  }

  valueAt(row: number): number {
    return this.valueChunks[(row / CHUNK_ROWS) | 0]![row % CHUNK_ROWS]!;
  }

  add(labels: ReadonlyArray<string | undefined>, value: number): void {
    const width = this.labelNames.length;
    const at = this.rows % CHUNK_ROWS;
    if (at === 0) {
      this.labelChunks.push(new Array<string | undefined>(CHUNK_ROWS * width).fill(undefined));
      this.valueChunks.push(new Float64Array(CHUNK_ROWS));
    }
    const chunk = this.labelChunks[this.labelChunks.length - 1]!;
    for (let i = 0; i < width; i++) chunk[at * width + i] = labels[i];
    this.valueChunks[this.valueChunks.length - 1]![at] = value;
    this.rows++;
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
