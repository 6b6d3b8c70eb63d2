// A push tokenizer for JSON (RFC 8259) fed in chunks as they arrive from the
// socket, so that a large answer is never held whole, neither as text nor as
// objects: the handler sees tokens and keeps only what it wants. Strict: any
// deviation from the grammar (trailing commas, single quotes, control
// characters in strings, bad escapes or numbers, a truncated document,
// anything after the top-level value) is a JsonSyntaxError naming the byte
// offset.

export interface JsonHandler {
  openObject(): void;
  closeObject(): void;
  openArray(): void;
  closeArray(): void;
  key(name: string): void;
  /** A string, number, boolean or null value. */
  scalar(value: string | number | boolean | null): void;
}

export class JsonSyntaxError extends Error {}

/**
 * Short ASCII strings seen before, by a hash of their bytes (checked byte by
 * byte on a hit): label names and values repeat across series and answers,
 * and a hit costs neither a decode nor a new string, so one cache shared by
 * a cycle's answers also interns them. Emptied when it reaches `limit`.
 */
export class ShortStringCache {
  static readonly MAX_BYTES = 48;
  readonly map = new Map<number, string>();
  // A direct-mapped front of `map`, by the hash's low bits, with each
  // string's bytes kept beside it: a slot holding (h, text) always means
  // map.get(h) === text (a slot is written only with what `map` holds for h,
  // and emptied with it), so a front hit returns exactly what the map would,
  // without its hashing and probing, and compares bytes with bytes instead
  // of with the string's characters (the Map lookup and that comparison were
  // a third of the tokenizer's string reading at 100,000 series). It can
  // only miss where the map would hit, never return another string: which
  // strings are shared stays what the map alone gave.
  private readonly frontMask: number;
  private readonly frontHash: Int32Array;
  private readonly frontLength: Uint8Array;
  private readonly frontBytes: Uint8Array;
  private readonly frontText: Array<string | undefined>;
  /** `frontSlots`: a power of two (~1 MiB at the default, as many as a large fleet's distinct names). */
  constructor(readonly limit = 1 << 17, frontSlots = 1 << 14) {
    if (!(frontSlots > 0 && (frontSlots & (frontSlots - 1)) === 0)) throw new Error('frontSlots must be a power of two');
    this.frontMask = frontSlots - 1;
    this.frontHash = new Int32Array(frontSlots);
    this.frontLength = new Uint8Array(frontSlots);
    this.frontBytes = new Uint8Array(frontSlots * ShortStringCache.MAX_BYTES);
    this.frontText = new Array<string | undefined>(frontSlots).fill(undefined);
  }

  /** The string map.get(h) when its characters are bytes[from, to), else undefined. */
  find(h: number, bytes: Uint8Array, from: number, to: number): string | undefined {
    const len = to - from;
    const slot = h & this.frontMask;
    const front = this.frontText[slot];
    if (front !== undefined && this.frontHash[slot] === h) {
      if (this.frontLength[slot] !== len) return undefined;
      const at = slot * ShortStringCache.MAX_BYTES;
      const kept = this.frontBytes;
      for (let k = 0; k < len; k++) if (kept[at + k] !== bytes[from + k]) return undefined;
      return front;
    }
    const text = this.map.get(h);
    if (text === undefined) return undefined;
    this.toFront(slot, h, text);
    if (text.length !== len) return undefined;
    for (let k = 0; k < len; k++) if (text.charCodeAt(k) !== bytes[from + k]) return undefined;
    return text;
  }

  /** map.set(h, text), the map emptied first when full. */
  set(h: number, text: string): void {
    if (this.map.size >= this.limit) {
      this.map.clear();
      this.frontText.fill(undefined);
    }
    this.map.set(h, text);
    this.toFront(h & this.frontMask, h, text);
  }

  private toFront(slot: number, h: number, text: string): void {
    if (text.length > ShortStringCache.MAX_BYTES) {
      this.frontText[slot] = undefined;
      return;
    }
    this.frontText[slot] = text;
    this.frontHash[slot] = h;
    this.frontLength[slot] = text.length;
    const at = slot * ShortStringCache.MAX_BYTES;
    for (let k = 0; k < text.length; k++) this.frontBytes[at + k] = text.charCodeAt(k);
  }
}

const enum S {
  Value, // a value must come (top level, after ':' or after ',' in an array)
  ValueOrArrayEnd, // just after '['
  KeyOrObjectEnd, // just after '{'
  Key, // after ',' in an object
  Colon,
  CommaOrEnd, // after a value inside a container
  InString,
  InNumber,
  InLiteral,
  Done, // after the top-level value: whitespace only
}

const OBJ = 1;
const ARR = 2;
const LITERALS: Record<number, readonly [string, boolean | null]> = { 0x74: ['true', true], 0x66: ['false', false], 0x6e: ['null', null] };
// JSON's number grammar (RFC 8259 §6).
const NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;
const MAX_DEPTH = 512;

const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

export class JsonPushTokenizer {
  private state = S.Value;
  private readonly stack: number[] = [];
  private offset = 0; // bytes consumed before the current chunk
  private started = false;
  // The token being read when a chunk ended inside it.
  private parts: Buffer[] = [];
  private stringIsKey = false;
  private stringHasEscape = false;
  private escapeNext = false;
  private literal = '';
  private literalAt = 0;
  private literalValue: boolean | null = null;
  private number = '';
  private hash = 0;
  private ascii = true;
  /** Whether the last string came from (or went into) the cache. */
  lastStringCached = false;
  /**
   * Set by a handler that reads some objects from the bytes itself: called
   * where an object value starts (chunk[at] is '{', at most two levels
   * deeper are allowed), it returns the index just after the object it read
   * in full, having made the handler calls itself, or -1, having changed
   * nothing, to leave the object to the tokenizer. What it reads must be
   * JSON the tokenizer accepts, and handled as the tokenizer's calls would be.
   */
  objectReader: ((chunk: Buffer, at: number) => number) | undefined = undefined;

  constructor(private readonly handler: JsonHandler, private readonly cache = new ShortStringCache()) {}

  write(chunk: Buffer): void {
    let i = 0;
    if (!this.started && chunk.length > 0) {
      this.started = true;
      // A UTF-8 byte order mark (in the first chunk) is not JSON, but servers send it and JSON.parse of a decoded body ignored it.
      if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) i = 3;
    }
    const n = chunk.length;
    while (i < n) {
      switch (this.state) {
        case S.InString: i = this.readString(chunk, i); continue;
        case S.InNumber: i = this.readNumber(chunk, i); continue;
        case S.InLiteral: i = this.readLiteral(chunk, i); continue;
        default: break;
      }
      const c = chunk[i]!;
      if (isSpace(c)) { i++; continue; }
      switch (this.state) {
        case S.Value:
        case S.ValueOrArrayEnd:
          if (c === 0x5d && this.state === S.ValueOrArrayEnd) { i++; this.close(ARR); break; }
          if (c === 0x7b && this.objectReader !== undefined && this.stack.length + 2 <= MAX_DEPTH) {
            const end = this.objectReader(chunk, i);
            if (end >= 0) { i = end; this.afterValue(); break; }
          }
          i = this.startValue(chunk, i, c);
          break;
        case S.KeyOrObjectEnd:
        case S.Key:
          if (c === 0x7d && this.state === S.KeyOrObjectEnd) { i++; this.close(OBJ); break; }
          if (c !== 0x22) this.fail(i, 'expected a key');
          this.beginString(true);
          i++;
          break;
        case S.Colon:
          if (c !== 0x3a) this.fail(i, "expected ':'");
          this.state = S.Value;
          i++;
          break;
        case S.CommaOrEnd: {
          const top = this.stack[this.stack.length - 1];
          if (c === 0x2c) this.state = top === OBJ ? S.Key : S.Value;
          else if (c === 0x7d && top === OBJ) this.close(OBJ);
          else if (c === 0x5d && top === ARR) this.close(ARR);
          else this.fail(i, top === OBJ ? "expected ',' or '}'" : "expected ',' or ']'");
          i++;
          break;
        }
        case S.Done:
          this.fail(i, 'unexpected data after the document');
      }
    }
    this.offset += n;
  }

  /** The document must be complete here. */
  end(): void {
    if (this.state === S.InNumber && this.stack.length === 0) this.finishNumber(this.offset);
    if (this.state !== S.Done) this.fail(0, this.started ? 'the document is truncated' : 'the body is empty');
  }

  private startValue(chunk: Buffer, i: number, c: number): number {
    if (c === 0x7b || c === 0x5b) {
      if (this.stack.length >= MAX_DEPTH) this.fail(i, 'nested too deeply');
      this.stack.push(c === 0x7b ? OBJ : ARR);
      this.state = c === 0x7b ? S.KeyOrObjectEnd : S.ValueOrArrayEnd;
      if (c === 0x7b) this.handler.openObject();
      else this.handler.openArray();
      return i + 1;
    }
    if (c === 0x22) {
      this.beginString(false);
      return i + 1;
    }
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      this.state = S.InNumber;
      this.number = '';
      return i;
    }
    const lit = LITERALS[c];
    if (lit) {
      this.state = S.InLiteral;
      [this.literal, this.literalValue] = lit;
      this.literalAt = 0;
      return i;
    }
    return this.fail(i, 'expected a value');
  }

  private close(kind: number): void {
    this.stack.pop();
    if (kind === OBJ) this.handler.closeObject();
    else this.handler.closeArray();
    this.afterValue();
  }

  private afterValue(): void {
    this.state = this.stack.length === 0 ? S.Done : S.CommaOrEnd;
  }

  private beginString(isKey: boolean): void {
    this.state = S.InString;
    this.stringIsKey = isKey;
    this.stringHasEscape = false;
    this.escapeNext = false;
    if (this.parts.length > 0) this.parts = [];
    this.hash = 0;
    this.ascii = true;
  }

  private readString(chunk: Buffer, from: number): number {
    const n = chunk.length;
    let i = from;
    let h = this.hash;
    let high = this.ascii ? 0 : 0x80;
    let escape = this.escapeNext;
    let bad = -1;
    for (; i < n; i++) {
      const c = chunk[i]!;
      if (escape) escape = false;
      else if (c === 0x22) break;
      else if (c === 0x5c) { escape = true; this.stringHasEscape = true; }
      else if (c < 0x20) { bad = i; break; }
      high |= c;
      h = (Math.imul(h, 31) + c) | 0;
    }
    if (bad >= 0) this.fail(bad, 'control character in a string');
    const ascii = high < 0x80;
    this.escapeNext = escape;
    this.hash = h;
    this.ascii = ascii;
    if (i === n) {
      // Copy: the chunk's memory is reused by the stream.
      this.parts.push(Buffer.from(chunk.subarray(from, n)));
      return n;
    }
    let text: string;
    if (this.parts.length === 0 && ascii && !this.stringHasEscape) text = this.stringAt(chunk, from, i, h);
    else {
      this.lastStringCached = false;
      if (this.parts.length === 0) text = chunk.toString('utf8', from, i);
      else {
        this.parts.push(chunk.subarray(from, i));
        text = Buffer.concat(this.parts).toString('utf8');
        this.parts = [];
      }
      if (this.stringHasEscape) {
        try {
          text = JSON.parse(`"${text}"`) as string;
        } catch {
          this.fail(i, 'bad escape in a string');
        }
      }
    }
    if (this.stringIsKey) {
      this.state = S.Colon;
      this.handler.key(text);
    } else {
      this.afterValue();
      this.handler.scalar(text);
    }
    return i + 1;
  }

  /**
   * The string chunk[from, to) when it is ASCII without escapes, as the
   * tokenizer makes every such string (so that a handler reading bytes
   * itself gets the same strings and leaves the cache as the tokenizer
   * would): short ones from the cache, others decoded. `h` is the hash of
   * the bytes (h = h * 31 + byte, in 32 bits, from 0).
   */
  stringAt(chunk: Buffer, from: number, to: number, h: number): string {
    // Numbers-in-strings (sample values) rarely repeat: they would only churn the cache.
    const first = chunk[from]!;
    const numeric = (first >= 0x30 && first <= 0x39) || first === 0x2d || first === 0x2b;
    if (!numeric && to > from && to - from <= ShortStringCache.MAX_BYTES) return this.cached(chunk, from, to, h);
    this.lastStringCached = false;
    return chunk.toString('utf8', from, to);
  }

  private cached(chunk: Buffer, from: number, to: number, h: number): string {
    this.lastStringCached = true;
    const hit = this.cache.find(h, chunk, from, to);
    if (hit !== undefined) return hit;
    const text = chunk.toString('latin1', from, to);
    this.cache.set(h, text);
    return text;
  }

  private readNumber(chunk: Buffer, from: number): number {
    const n = chunk.length;
    let i = from;
    while (i < n) {
      const c = chunk[i]!;
      // Digits, sign, dot and exponent; the grammar is checked once the number ends.
      if (!((c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2b || c === 0x2e || c === 0x65 || c === 0x45)) break;
      i++;
    }
    if (i < n && this.number === '') {
      // The whole number is in this chunk: the common case, read from the bytes without a string.
      const v = plainDecimal(chunk, from, i);
      if (v !== undefined) {
        this.afterValue();
        this.handler.scalar(v);
        return i;
      }
    }
    this.number += chunk.toString('latin1', from, i);
    if (this.number.length > 400) this.fail(i, 'number too long');
    if (i < n) this.finishNumber(this.offset + i);
    return i;
  }

  private finishNumber(at: number): void {
    const text = this.number;
    if (!NUMBER.test(text)) throw new JsonSyntaxError(`invalid JSON at byte ${at}: bad number ${JSON.stringify(text.slice(0, 40))}`);
    this.number = '';
    this.afterValue();
    this.handler.scalar(Number(text));
  }

  private readLiteral(chunk: Buffer, from: number): number {
    let i = from;
    while (i < chunk.length && this.literalAt < this.literal.length) {
      if (chunk[i] !== this.literal.charCodeAt(this.literalAt)) this.fail(i, 'expected a value');
      i++;
      this.literalAt++;
    }
    if (this.literalAt === this.literal.length) {
      this.afterValue();
      this.handler.scalar(this.literalValue);
    }
    return i;
  }

  private fail(i: number, what: string): never {
    throw new JsonSyntaxError(`invalid JSON at byte ${this.offset + i}: ${what}`);
  }
}

// Powers of ten that are exact doubles (10^22 is the largest: 5^22 < 2^53).
const POW10 = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];
/** The largest m for which m * 10 + 9 stays below 2^53, so every step of reading the digits is exact. */
const MAX_EXACT_PREFIX = Math.floor((2 ** 53 - 9) / 10);

/**
 * bytes[from, to) as a number when it is a plain JSON decimal (optional
 * minus, no leading zero, optional fraction, no exponent) whose digits, read
 * as one integer, stay below 2^53 (every 15-digit one, most 16-digit ones:
 * the 16 significant digits Prometheus writes for a CPU rate) with at most 22
 * of them after the point; undefined otherwise (the caller then checks the
 * grammar and uses Number()). Exact: that integer is exact, and so is 10^k
 * (k <= 22), so one IEEE division rounds correctly, to what Number() reads
 * (Clinger's fast path, "How to read floating point numbers accurately",
 * PLDI 1990).
 */
export function plainDecimal(bytes: Uint8Array, from: number, to: number): number | undefined {
  let i = from;
  const negative = bytes[i] === 0x2d;
  if (negative) i++;
  const intStart = i;
  let m = 0;
  while (i < to && bytes[i]! >= 0x30 && bytes[i]! <= 0x39) {
    if (m > MAX_EXACT_PREFIX) return undefined;
    m = m * 10 + (bytes[i++]! - 0x30);
  }
  const intDigits = i - intStart;
  if (intDigits === 0 || (intDigits > 1 && bytes[intStart] === 0x30)) return undefined;
  let fracDigits = 0;
  if (i < to && bytes[i] === 0x2e) {
    i++;
    const fracStart = i;
    while (i < to && bytes[i]! >= 0x30 && bytes[i]! <= 0x39) {
      if (m > MAX_EXACT_PREFIX) return undefined;
      m = m * 10 + (bytes[i++]! - 0x30);
    }
    fracDigits = i - fracStart;
    if (fracDigits === 0) return undefined;
  }
  if (i !== to || fracDigits >= POW10.length) return undefined;
  const v = fracDigits > 0 ? m / POW10[fracDigits]! : m;
  return negative ? -v : v;
}
