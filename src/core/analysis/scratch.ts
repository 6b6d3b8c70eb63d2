// Reusable scratch buffers for the per-pool statistics. The analysis runs on
// every pool every cycle; allocating (and, worse, taking `subarray` views of)
// small typed arrays per pool showed up as the top cost in the benchmark
// profile. Each module owns its buffers; they are only used inside one
// synchronous call that never calls out to foreign code, so reuse is
// invisible to callers and the functions stay pure from the outside.

export class Scratch {
  private buf: Float64Array;

  constructor(initial = 64) {
    this.buf = new Float64Array(initial);
  }

  /** A buffer of at least `len` elements. Contents are garbage; valid until the next get(). */
  get(len: number): Float64Array {
    if (this.buf.length < len) this.buf = new Float64Array(Math.max(len, this.buf.length * 2));
    return this.buf;
  }
}
