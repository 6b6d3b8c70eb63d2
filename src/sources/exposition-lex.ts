// Character classes and token readers of the exposition formats, shared by
// the parser. Char codes, not regular expressions: this runs per character.

export const NL = 10;
export const CR = 13;
export const SPACE = 32;
export const TAB = 9;
export const HASH = 35;
export const QUOTE = 34;
export const BACKSLASH = 92;
export const LBRACE = 123;
export const RBRACE = 125;
export const COMMA = 44;
export const EQUALS = 61;

export function isNameStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 58;
}
export function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 48 && c <= 57);
}
export function isLabelStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}
export function isLabelChar(c: number): boolean {
  return isLabelStart(c) || (c >= 48 && c <= 57);
}
export function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Set a key without letting `__proto__` reach the prototype setter. */
export function setLabel(obj: Record<string, string>, key: string, value: string): void {
  if (key === '__proto__') {
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    obj[key] = value;
  }
}

/**
 * Parse a float as the exposition formats write it: decimal with optional
 * exponent, or NaN / Inf / +Inf / -Inf (case-insensitive, as Go's ParseFloat).
 * Returns undefined when the token is not a number.
 */
export function parseSampleValue(token: string): number | undefined {
  const n = token.length;
  if (n === 0) return undefined;
  let i = 0;
  let sign = 1;
  const c0 = token.charCodeAt(0);
  if (c0 === 43 || c0 === 45) {
    sign = c0 === 45 ? -1 : 1;
    i = 1;
  }
  const rest = i === 0 ? token : token.slice(i);
  const lower = rest.length <= 8 ? rest.toLowerCase() : '';
  if (lower === 'inf' || lower === 'infinity') return sign * Infinity;
  if (lower === 'nan') return NaN;
  let digits = 0;
  while (i < n && isDigit(token.charCodeAt(i))) {
    i++;
    digits++;
  }
  if (i < n && token.charCodeAt(i) === 46) {
    i++;
    while (i < n && isDigit(token.charCodeAt(i))) {
      i++;
      digits++;
    }
  }
  if (digits === 0) return undefined;
  if (i < n && (token.charCodeAt(i) === 101 || token.charCodeAt(i) === 69)) {
    i++;
    if (i < n && (token.charCodeAt(i) === 43 || token.charCodeAt(i) === 45)) i++;
    let exp = 0;
    while (i < n && isDigit(token.charCodeAt(i))) {
      i++;
      exp++;
    }
    if (exp === 0) return undefined;
  }
  if (i !== n) return undefined;
  return Number(token);
}

export function describeAt(text: string, pos: number, end: number): string {
  if (pos >= end) return 'end of line';
  const c = text.charCodeAt(pos);
  if (c === TAB) return 'tab';
  if (c < 32 || c === 127) return `control character 0x${c.toString(16).padStart(2, '0')}`;
  return `'${text[pos]}'`;
}

export function isIntegerToken(token: string): boolean {
  let i = 0;
  if (token.charCodeAt(0) === 45 || token.charCodeAt(0) === 43) i = 1;
  if (i >= token.length) return false;
  for (; i < token.length; i++) if (!isDigit(token.charCodeAt(i))) return false;
  return true;
}
