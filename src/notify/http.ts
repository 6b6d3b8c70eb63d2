// The one place that decides what an HTTP outcome means for delivery:
//   2xx                         -> sent
//   408, 429, 5xx, network/timeout -> retryable (Retry-After honoured as a floor)
//   any other status            -> final (the same request will never succeed)
// Integrations add their extras through `adjust` (PagerDuty: back off on 429
// even without Retry-After). Every message leaving this file is redacted.

import type { Readable } from 'node:stream';
import axios, { type AxiosRequestConfig } from 'axios';
import { redactText, registerSecret } from '../util/redact.js';
import { SkewwatchError } from '../util/errors.js';
import type { SendFailure, SendResult } from './notifier.js';

export interface HttpOutcome {
  readonly status: number;
  /** Lower-cased header names. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: string;
}

/** Longest wait a Retry-After may impose; beyond that the header is treated as bogus. */
export const MAX_RETRY_AFTER_MS = 6 * 60 * 60 * 1000;

/**
 * Retry-After (RFC 9110 §10.2.3): either delay-seconds or an HTTP-date.
 * Returns milliseconds from `nowMs`, or undefined when absent or unparsable.
 */
export function parseRetryAfter(value: string | undefined | null, nowMs: number): number | undefined {
  if (value === undefined || value === null) return undefined;
  const v = value.trim();
  if (v === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) {
    const ms = Math.round(Number(v) * 1000);
    return Math.min(ms, MAX_RETRY_AFTER_MS);
  }
  // HTTP-date, e.g. "Wed, 21 Oct 2015 07:28:00 GMT". Require a letter so a
  // bare "-5" or "1e3" is not accepted by Date.parse's lenient grammar.
  if (!/[A-Za-z]/.test(v)) return undefined;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.min(Math.max(0, at - nowMs), MAX_RETRY_AFTER_MS);
}

export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status <= 599);
}

export interface ClassifyOptions {
  /** Turns the response body into a short reason (already specific to the integration). */
  describe?: (o: HttpOutcome) => string;
  /** Integration extras applied after the generic decision. */
  adjust?: (o: HttpOutcome, generic: SendResult) => SendResult;
}

/** Collapse whitespace and cut, so a receiver's HTML error page does not flood logs. */
export function shortBody(body: string, max = 200): string {
  const one = body.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

export function classifyResponse(sink: string, o: HttpOutcome, nowMs: number, opts: ClassifyOptions = {}): SendResult {
  let generic: SendResult;
  if (o.status >= 200 && o.status <= 299) {
    generic = { ok: true };
  } else {
    // Redact before any cutting: a truncated secret no longer matches the mask.
    const safe: HttpOutcome = { ...o, body: redactText(o.body) };
    const reason = opts.describe ? opts.describe(safe) : shortBody(safe.body);
    const retryable = isRetryableStatus(o.status);
    const retryAfterMs = retryable ? parseRetryAfter(o.headers['retry-after'], nowMs) : undefined;
    generic = {
      ok: false,
      retryable,
      status: o.status,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      message: redactText(`${sink}: HTTP ${o.status}${reason ? ` ${reason}` : ''}`),
    };
  }
  const adjusted = opts.adjust ? opts.adjust(o, generic) : generic;
  return adjusted.ok ? adjusted : { ...adjusted, message: redactText(adjusted.message) };
}

const NETWORK_CODES: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'DNS lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'timeout',
  ECONNABORTED: 'timeout',
  ERR_SOCKET_CONNECTION_TIMEOUT: 'timeout',
};

/** A thrown request error (no HTTP response) as a SendFailure. */
export function classifyError(sink: string, err: unknown, callerSignal: AbortSignal, timeoutMs: number): SendFailure {
  if (callerSignal.aborted) {
    return { ok: false, retryable: true, aborted: true, message: `${sink}: aborted` };
  }
  const e = err as { code?: unknown; name?: unknown; message?: unknown; cause?: { code?: unknown } };
  const code = typeof e?.code === 'string' ? e.code : typeof e?.cause?.code === 'string' ? e.cause.code : undefined;
  const name = typeof e?.name === 'string' ? e.name : '';
  // Our own deadline fires as an abort (ERR_CANCELED / AbortError / TimeoutError).
  if (code === 'ERR_CANCELED' || name === 'AbortError' || name === 'TimeoutError' || name === 'CanceledError') {
    return { ok: false, retryable: true, message: `${sink}: timeout after ${timeoutMs}ms` };
  }
  if (code && NETWORK_CODES[code]) {
    const what = NETWORK_CODES[code] === 'timeout' ? `timeout after ${timeoutMs}ms` : `network error: ${NETWORK_CODES[code]} (${code})`;
    return { ok: false, retryable: true, message: redactText(`${sink}: ${what}`) };
  }
  const msg = redactText(typeof e?.message === 'string' ? e.message : String(err));
  // Unknown transport problems are treated as transient: dropping an alert
  // because of a bug in a proxy is worse than retrying it until maxAge.
  return { ok: false, retryable: true, message: redactText(`${sink}: request failed${code ? ` (${code})` : ''}: ${shortBody(msg)}`) };
}

export interface PostJsonRequest {
  readonly sink: string;
  readonly url: string;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  readonly auth?: { readonly username: string; readonly password: string };
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
  /** Injected clock reading, used to turn an HTTP-date Retry-After into a delay. */
  readonly now: () => number;
  readonly classify?: ClassifyOptions;
}

/**
 * Bytes of a response body read at most. The status decides delivery; the
 * body only explains an error, so a longer one is cut, never a failure (a 2xx
 * with a huge body is delivered; reading stops at the cap).
 */
export const MAX_RESPONSE_BYTES = 256 * 1024;

/** POST a JSON body and classify the outcome. Never throws. */
export async function postJson(req: PostJsonRequest): Promise<SendResult> {
  if (req.signal.aborted) return { ok: false, retryable: true, aborted: true, message: `${req.sink}: aborted` };
  // Hard deadline for the whole exchange (axios' own timeout is an idle timer).
  const deadline = AbortSignal.timeout(req.timeoutMs);
  const signal = AbortSignal.any([req.signal, deadline]);
  const config: AxiosRequestConfig = {
    timeout: req.timeoutMs,
    signal,
    headers: { 'Content-Type': 'application/json', 'User-Agent': 'skewwatch', ...req.headers },
    validateStatus: () => true,
    // A stream, so that the body is read only up to MAX_RESPONSE_BYTES and
    // axios' maxContentLength (which fails the whole request) never applies.
    responseType: 'stream',
    decompress: true,
    maxRedirects: 0,
    ...(req.auth ? { auth: { username: req.auth.username, password: req.auth.password } } : {}),
  };
  try {
    const res = await axios.post(req.url, JSON.stringify(req.body), config);
    const headers: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(res.headers ?? {})) {
      headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v === undefined || v === null ? undefined : String(v);
    }
    const ok = res.status >= 200 && res.status <= 299;
    // Read (at most the cap) even for a 2xx so the connection can be reused;
    // a 2xx is delivered whatever its body says or weighs.
    const text = await readCapped(res.data as Readable | undefined, MAX_RESPONSE_BYTES, signal);
    const body = ok ? '' : text;
    return classifyResponse(req.sink, { status: res.status, headers, body }, req.now(), req.classify);
  } catch (err) {
    return classifyError(req.sink, err, req.signal, req.timeoutMs);
  }
}

/** Up to `max` bytes of a body as text; the rest is not read (the socket is closed). Never throws. */
async function readCapped(stream: Readable | undefined, max: number, signal: AbortSignal): Promise<string> {
  if (!stream || typeof stream.on !== 'function') return '';
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream) {
      if (signal.aborted) break;
      const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
      chunks.push(b.subarray(0, max - size));
      size += Math.min(b.length, max - size);
      if (size >= max) break;
    }
  } catch {
    /* a body cut short still has a status: keep what arrived */
  } finally {
    // Stop reading what is left beyond the cap (no-op once the body has ended).
    if (!stream.readableEnded) stream.destroy();
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Parse a URL option or throw a message that does not contain the URL (it may hold a secret). */
export function checkUrl(sink: string, option: string, value: unknown): URL {
  if (typeof value !== 'string' || value.trim() === '') throw configError(`${sink}: ${option} is required`);
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw configError(`${sink}: ${option} is not a valid URL`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw configError(`${sink}: ${option} must be an http(s) URL`);
  return u;
}

/** Validates extra request headers; their values are secrets (tokens, tenant ids). */
export function checkHeaders(sink: string, given: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(given ?? {})) {
    if (typeof v !== 'string') throw configError(`${sink}: header ${k} must be a string`);
    if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(k)) throw configError(`${sink}: header name ${JSON.stringify(k)} is invalid`);
    registerSecret(v);
    headers[k] = v;
  }
  return headers;
}

export function checkTimeout(sink: string, value: number | undefined, dflt: number): number {
  const t = value ?? dflt;
  if (!Number.isFinite(t) || t <= 0 || t > 300_000) throw configError(`${sink}: timeoutMs must be between 1 and 300000`);
  return t;
}

export function checkName(value: string | undefined, dflt: string): string {
  const n = value ?? dflt;
  if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(n)) throw configError(`sink name must be 1-64 characters of [A-Za-z0-9_.:-]`);
  return n;
}

/** Constructor option errors: kind 'config', never containing a secret value. */
export function configError(message: string): SkewwatchError {
  return new SkewwatchError('config', message);
}
