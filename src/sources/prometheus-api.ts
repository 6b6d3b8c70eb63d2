// Minimal client for the Prometheus HTTP API (/api/v1/query, /query_range),
// which Thanos, Mimir, Cortex and VictoriaMetrics implement too. Every
// failure becomes a SkewwatchError whose kind says what went wrong and whose
// message says where, with no credentials in it.
import axios, { type AxiosInstance, type AxiosError } from 'axios';
import { SkewwatchError } from '../util/errors.js';
import { redactText } from '../util/redact.js';
import { axiosBase, type HttpClientSettings } from './http-options.js';

export interface VectorSample {
  readonly metric: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface MatrixSeries {
  readonly metric: Readonly<Record<string, string>>;
  /** [epoch seconds, value] pairs. */
  readonly values: ReadonlyArray<readonly [number, number]>;
}

export interface QueryResult<T> {
  readonly data: T;
  /** The API's `warnings` field (e.g. partial responses from Thanos). */
  readonly warnings: readonly string[];
}

export interface PrometheusApiOptions extends HttpClientSettings {
  readonly url: string;
  readonly method?: 'GET' | 'POST';
}

export class PrometheusApi {
  private readonly http: AxiosInstance;
  private readonly method: 'GET' | 'POST';
  readonly baseUrl: string;

  constructor(opts: PrometheusApiOptions) {
    this.baseUrl = opts.url.replace(/\/+$/, '');
    this.method = opts.method ?? 'GET';
    this.http = axios.create({
      ...axiosBase(opts),
      baseURL: this.baseUrl,
      // We parse ourselves so that garbage gets a clear message, and judge
      // every status ourselves so that the API's error body is not lost.
      responseType: 'text',
      transformResponse: [(d: unknown) => d],
      validateStatus: () => true,
    });
  }

  async query(promql: string, time: number | undefined, signal?: AbortSignal): Promise<QueryResult<VectorSample[]>> {
    const params: Record<string, string> = { query: promql };
    if (time !== undefined) params.time = (time / 1000).toFixed(3);
    const body = await this.call('/api/v1/query', params, signal);
    if (body.data.resultType === 'scalar') return { data: [{ metric: {}, value: toNumber((body.data.result as unknown[] | undefined)?.[1]) }], warnings: body.warnings };
    if (body.data.resultType !== 'vector' || !Array.isArray(body.data.result)) {
      throw new SkewwatchError('source-malformed', `Prometheus ${this.where()}: expected a vector result for ${JSON.stringify(short(promql))}, got ${String(body.data.resultType)}`);
    }
    const out: VectorSample[] = [];
    for (const item of body.data.result as Array<{ metric?: Record<string, string>; value?: [number, string] }>) {
      if (!item || typeof item !== 'object' || !Array.isArray(item.value)) {
        throw new SkewwatchError('source-malformed', `Prometheus ${this.where()}: malformed vector item in the answer to ${JSON.stringify(short(promql))}`);
      }
      out.push({ metric: item.metric ?? {}, value: toNumber(item.value[1]) });
    }
    return { data: out, warnings: body.warnings };
  }

  async queryRange(promql: string, startMs: number, endMs: number, stepMs: number, signal?: AbortSignal): Promise<QueryResult<MatrixSeries[]>> {
    const body = await this.call('/api/v1/query_range', {
      query: promql,
      start: (startMs / 1000).toFixed(3),
      end: (endMs / 1000).toFixed(3),
      step: `${stepMs / 1000}`,
    }, signal);
    if (body.data.resultType !== 'matrix' || !Array.isArray(body.data.result)) {
      throw new SkewwatchError('source-malformed', `Prometheus ${this.where()}: expected a matrix result, got ${String(body.data.resultType)}`);
    }
    const out = (body.data.result as Array<{ metric?: Record<string, string>; values?: Array<[number, string]> }>).map((s) => ({
      metric: s.metric ?? {},
      values: (s.values ?? []).map(([t, v]) => [Number(t), toNumber(v)] as const),
    }));
    return { data: out, warnings: body.warnings };
  }

  private where(): string {
    return redactText(this.baseUrl);
  }

  private async call(path: string, params: Record<string, string>, signal?: AbortSignal): Promise<{ data: { resultType?: string; result?: unknown }; warnings: string[] }> {
    let res;
    try {
      res = this.method === 'POST'
        ? await this.http.post(path, new URLSearchParams(params).toString(), { headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, signal })
        : await this.http.get(path, { params, signal });
    } catch (e) {
      throw this.transportError(e as AxiosError);
    }
    const text = typeof res.data === 'string' ? res.data : '';
    let body: { status?: string; data?: { resultType?: string; result?: unknown }; errorType?: string; error?: string; warnings?: unknown } | undefined;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (body && body.status === 'error') {
      // The API's documented error shape: errorType (bad_data, execution, timeout, ...) and error.
      throw new SkewwatchError('source-api', `Prometheus ${this.where()} answered ${res.status} ${body.errorType ?? 'error'}: ${redactText(String(body.error ?? '')).slice(0, 500)}`);
    }
    if (res.status < 200 || res.status >= 300) {
      throw new SkewwatchError('source-http', `Prometheus ${this.where()} answered HTTP ${res.status}${text ? `: ${redactText(text.slice(0, 200))}` : ''}`);
    }
    if (!body || body.status !== 'success' || typeof body.data !== 'object' || body.data === null) {
      throw new SkewwatchError('source-malformed', `Prometheus ${this.where()}${path}: the answer is not Prometheus API JSON (starts with ${JSON.stringify(text.slice(0, 40))})`);
    }
    const warnings = Array.isArray(body.warnings) ? body.warnings.map((w) => redactText(String(w))) : [];
    return { data: body.data, warnings };
  }

  private transportError(e: AxiosError): SkewwatchError {
    const where = this.where();
    if (e.code === 'ECONNABORTED' || e.code === 'ETIMEDOUT' || /timeout/i.test(e.message)) {
      return new SkewwatchError('source-timeout', `Prometheus ${where} did not answer in time (${e.message})`, { cause: e.code });
    }
    if (e.code === 'ERR_CANCELED') return new SkewwatchError('source-timeout', `Prometheus ${where}: request aborted (cycle deadline)`);
    if (/maxContentLength|maxBodyLength/.test(e.message) || e.code === 'ERR_BAD_RESPONSE' && /size/.test(e.message)) {
      return new SkewwatchError('source-too-large', `Prometheus ${where}: response exceeds max_response_bytes (${e.message})`);
    }
    return new SkewwatchError('source-unreachable', `Prometheus ${where} is unreachable: ${e.code ?? ''} ${redactText(e.message)}`.trim());
  }
}

function toNumber(v: unknown): number {
  // Prometheus encodes sample values as strings, including "NaN", "+Inf", "-Inf".
  if (typeof v === 'number') return v;
  if (v === '+Inf' || v === 'Inf') return Infinity;
  if (v === '-Inf') return -Infinity;
  return Number(v);
}

function short(s: string): string {
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}
