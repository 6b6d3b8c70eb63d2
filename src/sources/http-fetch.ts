// One GET of a scrape target through axios, with every failure mapped to a
// SkewwatchError kind and a message that names the target without secrets.
//
// - total deadline (timeoutMs) enforced with an AbortController, not only
//   axios' socket-idle timeout, so a server that drips bytes still times out;
// - body capped by maxContentLength (after decompression);
// - no redirects (credentials must not follow a redirect elsewhere) and no
//   environment proxy (scrape targets are usually internal);
// - the axios error is NOT attached as `cause`: its config holds the
//   Authorization header. A sanitised Error carrying the code is.

import http from 'node:http';
import https from 'node:https';
import axios, { AxiosError } from 'axios';
import { SkewwatchError } from '../util/errors.js';
import { redactText, registerSecret } from '../util/redact.js';

export interface TlsOptions {
  /** PEM CA bundle to trust; replaces Node's default roots when set. */
  readonly ca?: string;
  /** PEM client certificate and key for mutual TLS. */
  readonly cert?: string;
  readonly key?: string;
  /** Skip certificate verification (testing only). */
  readonly insecureSkipVerify?: boolean;
  /** SNI / expected certificate name when it differs from the URL host. */
  readonly serverName?: string;
}

export interface FetchTarget {
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
  readonly bearerToken?: string;
  readonly basicAuth?: { readonly username: string; readonly password: string };
  readonly tls?: TlsOptions;
}

export interface FetchOptions {
  readonly maxBytes: number;
  readonly defaultTimeoutMs: number;
  readonly signal?: AbortSignal;
  readonly accept?: string;
  /** Reused keep-alive agents built from the target's TLS options (see createAgents). Without them a one-off pair is made per call. */
  readonly agents?: Agents;
}

export interface FetchResult {
  readonly body: string;
  readonly contentType: string | undefined;
  readonly status: number;
}

export interface Agents {
  readonly http: http.Agent;
  readonly https: https.Agent;
  destroy(): void;
}

/** Prometheus' own preference order: OpenMetrics first, then text 0.0.4. */
export const SCRAPE_ACCEPT =
  'application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.4,*/*;q=0.1';

export function createAgents(tls?: TlsOptions): Agents {
  const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const httpsAgent = new https.Agent({
    keepAlive: true,
    maxSockets: 4,
    ...(tls?.ca !== undefined && { ca: tls.ca }),
    ...(tls?.cert !== undefined && { cert: tls.cert }),
    ...(tls?.key !== undefined && { key: tls.key }),
    ...(tls?.serverName !== undefined && { servername: tls.serverName }),
    rejectUnauthorized: tls?.insecureSkipVerify !== true,
  });
  return {
    http: httpAgent,
    https: httpsAgent,
    destroy() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}

/** The URL as it may appear in logs and errors: no credentials, no query values. */
export function displayUrl(raw: string): string {
  try {
    const u = new URL(raw);
    u.username = '';
    u.password = '';
    const query = u.search !== '' ? '?…' : '';
    u.search = '';
    u.hash = '';
    return redactText(u.toString() + query);
  } catch {
    return redactText(raw.replace(/\?.*$/s, '?…'));
  }
}

/** Register a target's secrets so redactText masks them anywhere. */
export function registerTargetSecrets(t: FetchTarget): void {
  registerSecret(t.bearerToken);
  registerSecret(t.basicAuth?.password);
  try {
    const u = new URL(t.url);
    registerSecret(decodeURIComponent(u.password));
  } catch {
    // invalid URLs are reported by the caller
  }
}

function sanitisedCause(e: unknown): Error {
  if (e instanceof AxiosError) {
    const err = new Error(redactText(e.message));
    if (e.code !== undefined) (err as Error & { code?: string }).code = e.code;
    return err;
  }
  return new Error(redactText(e instanceof Error ? e.message : String(e)));
}

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * GET the target. Resolves with the body for 2xx; throws SkewwatchError with
 * kind source-unreachable / source-timeout / source-http / source-too-large.
 */
export async function fetchText(target: FetchTarget, options: FetchOptions): Promise<FetchResult> {
  const name = displayUrl(target.url);
  const timeoutMs = target.timeoutMs ?? options.defaultTimeoutMs;
  let url: URL;
  try {
    url = new URL(target.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http(s)');
  } catch {
    throw new SkewwatchError('config', `scrape target ${name}: not a valid http(s) URL`);
  }
  const headers: Record<string, string> = { Accept: options.accept ?? SCRAPE_ACCEPT, ...target.headers };
  if (target.bearerToken !== undefined) headers.Authorization = `Bearer ${target.bearerToken}`;
  let auth: { username: string; password: string } | undefined;
  if (target.basicAuth !== undefined) auth = { ...target.basicAuth };
  else if (url.username !== '' || url.password !== '') {
    auth = { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
  }
  url.username = '';
  url.password = '';

  const ownAgents = options.agents === undefined && target.tls !== undefined ? createAgents(target.tls) : undefined;
  const agents = options.agents ?? ownAgents;
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new Error('timeout'));
  }, timeoutMs);
  const onOuterAbort = () => controller.abort(options.signal?.reason);
  if (options.signal?.aborted) onOuterAbort();
  else options.signal?.addEventListener('abort', onOuterAbort, { once: true });

  try {
    const res = await axios.request<string>({
      method: 'GET',
      url: url.toString(),
      headers,
      ...(auth !== undefined && { auth }),
      timeout: timeoutMs,
      signal: controller.signal,
      responseType: 'text',
      transformResponse: [(d: unknown) => d],
      maxContentLength: options.maxBytes,
      maxBodyLength: options.maxBytes,
      maxRedirects: 0,
      proxy: false,
      validateStatus: () => true,
      ...(agents !== undefined && { httpAgent: agents.http, httpsAgent: agents.https }),
    });
    if (res.status < 200 || res.status > 299) {
      throw new SkewwatchError('source-http', `scrape target ${name} answered HTTP ${res.status}`);
    }
    const ct = res.headers['content-type'];
    const body = typeof res.data === 'string' ? res.data : String(res.data ?? '');
    return { body, contentType: typeof ct === 'string' ? ct : undefined, status: res.status };
  } catch (e) {
    if (e instanceof SkewwatchError) throw e;
    const cause = sanitisedCause(e);
    const code = e instanceof AxiosError ? e.code : undefined;
    const message = e instanceof Error ? e.message : '';
    if (message.includes('maxContentLength') || message.includes('maxBodyLength')) {
      throw new SkewwatchError('source-too-large', `scrape target ${name}: response larger than ${options.maxBytes} bytes`, { cause });
    }
    if (timedOut || code === 'ECONNABORTED' || code === 'ETIMEDOUT') {
      throw new SkewwatchError('source-timeout', `scrape target ${name}: no complete response within ${timeoutMs} ms`, { cause });
    }
    if (options.signal?.aborted || code === 'ERR_CANCELED') {
      throw new SkewwatchError('source-timeout', `scrape target ${name}: aborted`, { cause });
    }
    const detail = code !== undefined && UNREACHABLE_CODES.has(code) ? code : redactText(message || String(code ?? 'error'));
    throw new SkewwatchError('source-unreachable', `scrape target ${name}: ${detail}`, { cause });
  } finally {
    ownAgents?.destroy();
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onOuterAbort);
  }
}
