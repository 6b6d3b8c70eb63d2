// The shape of nearly every result item of a large instant-query answer, as
// Prometheus and VictoriaMetrics write it (compact, ASCII labels, no escapes):
//
//   {"metric":{"proxy":"be_7500","server":"srv0"},"value":[1796164816.794,"0.61"]}
//
// found in one pass over the bytes when the whole item lies in the chunk, so
// that the scanner can take it without the tokenizer's ~15 tokens and their
// handler calls (the token-by-token reading was most of a cycle's parsing at
// 100,000 series). Anything else (whitespace, other keys or another key
// order, escapes, non-ASCII bytes, more than MAX_FAST_LABELS labels, a time
// that is not a plain decimal, the chunk ending inside the item) is declined,
// and the tokenizer reads the item as before. Everything accepted is JSON the
// tokenizer accepts too. Pure: it only records where the strings are.

/** Items with more labels go the general way. */
export const MAX_FAST_LABELS = 16;

/** Where the parts of one item are in the chunk (filled by findCompactItem). */
export class ItemSpans {
  labels = 0;
  /** Per label: name from, name to, name hash, value from, value to, value hash. */
  readonly label = new Int32Array(MAX_FAST_LABELS * 6);
  /** The first byte of the key "metric" (inside its quotes), and of "value". */
  metricKey = 0;
  valueKey = 0;
  /** The sample value string's bytes [from, to) and their hash. */
  sampleFrom = 0;
  sampleTo = 0;
  sampleHash = 0;
  /** Just after the item's closing '}'. */
  end = 0;
  /** The hash of the last string found (scratch). */
  hash = 0;
}

// The fixed parts, compared byte by byte in straight code (a loop over a
// table of the bytes cost twice as much).
/** {"metric":{ */
function isItemHead(b: Uint8Array, i: number): boolean {
  return b[i] === 0x7b && b[i + 1] === 0x22 && b[i + 2] === 0x6d && b[i + 3] === 0x65 && b[i + 4] === 0x74 && b[i + 5] === 0x72
    && b[i + 6] === 0x69 && b[i + 7] === 0x63 && b[i + 8] === 0x22 && b[i + 9] === 0x3a && b[i + 10] === 0x7b;
}
const ITEM_HEAD_LENGTH = 11;

/** },"value":[ */
function isMetricToValue(b: Uint8Array, i: number): boolean {
  return b[i] === 0x7d && b[i + 1] === 0x2c && b[i + 2] === 0x22 && b[i + 3] === 0x76 && b[i + 4] === 0x61 && b[i + 5] === 0x6c
    && b[i + 6] === 0x75 && b[i + 7] === 0x65 && b[i + 8] === 0x22 && b[i + 9] === 0x3a && b[i + 10] === 0x5b;
}
const METRIC_TO_VALUE_LENGTH = 11;

/** "]} */
function isItemTail(b: Uint8Array, i: number): boolean {
  return b[i] === 0x22 && b[i + 1] === 0x5d && b[i + 2] === 0x7d;
}
const ITEM_TAIL_LENGTH = 3;

/** The tokenizer's hash of a string's bytes (see JsonPushTokenizer.stringAt). */
export function bytesHash(text: string): number {
  let h = 0;
  for (let k = 0; k < text.length; k++) h = (Math.imul(h, 31) + text.charCodeAt(k)) | 0;
  return h;
}

export const METRIC_HASH = bytesHash('metric');
export const VALUE_HASH = bytesHash('value');

/**
 * The closing quote of the string whose bytes start at `i` (its hash in
 * spans.hash), or -1 when the string has an escape, a control character or
 * a non-ASCII byte, or does not end in the chunk.
 */
function stringEnd(b: Uint8Array, i: number, spans: ItemSpans): number {
  const n = b.length;
  let h = 0;
  for (; i < n; i++) {
    const c = b[i]!;
    // One test for the usual bytes ('#' to '~' but the backslash), the rest sorted out after.
    if (c <= 0x22 || c === 0x5c || c >= 0x7f) {
      if (c === 0x22) {
        spans.hash = h;
        return i;
      }
      if (c < 0x20 || c === 0x5c || c >= 0x80) return -1;
      // ' ', '!' and DEL: plain string bytes.
    }
    h = (Math.imul(h, 31) + c) | 0;
  }
  return -1;
}

/** A plain JSON decimal (the shape plainDecimal reads) ends here, or -1. */
function plainNumberEnd(b: Uint8Array, i: number): number {
  const n = b.length;
  const start = i;
  if (b[i] === 0x2d) i++;
  const intStart = i;
  while (i < n && b[i]! >= 0x30 && b[i]! <= 0x39) i++;
  const intDigits = i - intStart;
  if (intDigits === 0 || (intDigits > 1 && b[intStart] === 0x30)) return -1;
  if (b[i] === 0x2e) {
    const fracStart = ++i;
    while (i < n && b[i]! >= 0x30 && b[i]! <= 0x39) i++;
    if (i === fracStart) return -1;
  }
  // An exponent or any other number character: the tokenizer's grammar check decides.
  const c = b[i];
  if (c === 0x65 || c === 0x45 || c === 0x2b || c === 0x2d || c === 0x2e) return -1;
  // Far below the tokenizer's limit on a number's length.
  return i - start > 40 ? -1 : i;
}

/** Fills `spans` and returns true when b[at..] is a whole item of the compact shape. */
export function findCompactItem(b: Uint8Array, at: number, spans: ItemSpans): boolean {
  if (!isItemHead(b, at)) return false;
  spans.metricKey = at + 2;
  let i = at + ITEM_HEAD_LENGTH;
  let labels = 0;
  const span = spans.label;
  if (b[i] !== 0x7d) {
    for (;;) {
      if (labels === MAX_FAST_LABELS || b[i] !== 0x22) return false;
      const o = labels * 6;
      span[o] = i + 1;
      i = stringEnd(b, i + 1, spans);
      if (i < 0 || b[i + 1] !== 0x3a || b[i + 2] !== 0x22) return false;
      span[o + 1] = i;
      span[o + 2] = spans.hash;
      span[o + 3] = i + 3;
      i = stringEnd(b, i + 3, spans);
      if (i < 0) return false;
      span[o + 4] = i;
      span[o + 5] = spans.hash;
      labels++;
      i++;
      if (b[i] === 0x2c) i++;
      else if (b[i] === 0x7d) break;
      else return false;
    }
  }
  if (!isMetricToValue(b, i)) return false;
  spans.valueKey = i + 3;
  i += METRIC_TO_VALUE_LENGTH;
  // The sample time: a plain decimal, as Prometheus writes it (seconds with up to 3 decimals).
  i = plainNumberEnd(b, i);
  if (i < 0 || b[i] !== 0x2c || b[i + 1] !== 0x22) return false;
  spans.sampleFrom = i + 2;
  i = stringEnd(b, i + 2, spans);
  if (i < 0 || !isItemTail(b, i)) return false;
  spans.sampleTo = i;
  spans.sampleHash = spans.hash;
  spans.labels = labels;
  spans.end = i + ITEM_TAIL_LENGTH;
  return true;
}
