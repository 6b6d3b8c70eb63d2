// Minimal client for the Prometheus HTTP API (/api/v1/query, /query_range),
// which Thanos, Mimir, Cortex and VictoriaMetrics implement too. Every
// failure becomes a SkewwatchError whose kind says what went wrong and whose
// message says where, with no credentials in it.
//
// Answers are read as a stream and scanned as they arrive
// (prometheus-scan.ts): the body is never held whole, neither as text nor
// as parsed objects, so memory per query is the series kept, not the
// document. The timeout covers the whole answer, body included, so a server
// that drips bytes still times out.
import { Readable } from 'node:stream';
import axios, { type AxiosInstance, type AxiosError } from 'axios';
import { SkewwatchError } from '../util/errors.js';
import { redactText } from '../util/redact.js';
import { axiosBase, type HttpClientSettings } from './http-options.js';
import { JsonSyntaxError } from './json-push.js';
import { PrometheusScanner, sampleValue, type ScanOptions, type ScanSummary, type SeriesSink, type StringTable } from './prometheus-scan.js';
import { CompactVector } from './sample-table.js';

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
  private readonly timeoutMs: number;
  readonly baseUrl: string;

  constructor(opts: PrometheusApiOptions) {
    this.baseUrl = opts.url.replace(/\/+$/, '');
    this.method = opts.method ?? 'GET';
    this.timeoutMs = opts.timeoutMs;
    this.http = axios.create({
      ...axiosBase(opts),
      baseURL: this.baseUrl,
      // We read the stream ourselves so that garbage gets a clear message, and
      // judge every status ourselves so that the API's error body is not lost.
      responseType: 'stream',
      validateStatus: () => true,
    });
  }

  /** An instant query, every label of every series kept. */
  async query(promql: string, time: number | undefined, signal?: AbortSignal): Promise<QueryResult<VectorSample[]>> {
    const out: VectorSample[] = [];
    const sink: SeriesSink = { series: (labels, value) => { if (value !== undefined) out.push({ metric: labels as Record<string, string>, value }); } };
    const r = await this.instant(promql, time, sink, {}, signal);
    return { data: r.scalar ? [{ metric: {}, value: r.scalar.value }] : out, warnings: r.warnings };
  }

  /**
   * An instant query keeping only `labels` of each series (interned in
   * `strings`), in a CompactVector: what the query-mode cycle needs, at a
   * fraction of the memory of the whole answer.
   */
  async queryTable(promql: string, time: number | undefined, labels: readonly string[], strings: StringTable, signal?: AbortSignal): Promise<QueryResult<CompactVector>> {
    const table = new CompactVector(labels);
    const r = await this.instant(promql, time, table, { project: labels, strings }, signal);
    if (r.scalar) table.add(labels.map(() => undefined), r.scalar.value);
    return { data: table, warnings: r.warnings };
  }

  async queryRange(promql: string, startMs: number, endMs: number, stepMs: number, signal?: AbortSignal): Promise<QueryResult<MatrixSeries[]>> {
    const out: MatrixSeries[] = [];
    const sink: SeriesSink = { series: (labels, _v, values) => { out.push({ metric: labels as Record<string, string>, values: values ?? [] }); } };
    const body = await this.call('/api/v1/query_range', {
      query: promql,
      start: (startMs / 1000).toFixed(3),
      end: (endMs / 1000).toFixed(3),
      step: `${stepMs / 1000}`,
    }, sink, {}, signal);
    if (body.resultType !== 'matrix' || !body.resultIsArray) {
      throw new SkewwatchError('source-malformed', `Prometheus ${this.where()}: expected a matrix result, got ${String(body.resultType)}`);
    }
    return { data: out, warnings: body.warnings };
  }

  private async instant(promql: string, time: number | undefined, sink: SeriesSink, scan: ScanOptions, signal?: AbortSignal): Promise<{ warnings: string[]; scalar?: { value: number } }> {
    const params: Record<string, string> = { query: promql };
    if (time !== undefined) params.time = (time / 1000).toFixed(3);
    const body = await this.call('/api/v1/query', params, sink, scan, signal);
    if (body.resultType === 'scalar') return { warnings: body.warnings, scalar: { value: sampleValue(body.scalarPair[1]) } };
    if (body.resultType !== 'vector' || !body.resultIsArray) {
      throw new SkewwatchError('source-malformed', `Prometheus ${this.where()}: expected a vector result for ${JSON.stringify(short(promql))}, got ${String(body.resultType)}`);
    }
    if (body.itemsWithoutValue > 0) {
      throw new SkewwatchError('source-malformed', `Prometheus ${this.where()}: malformed vector item in the answer to ${JSON.stringify(short(promql))}`);
    }
    return { warnings: body.warnings };
  }

  private where(): string {
    return redactText(this.baseUrl);
  }

  private async call(path: string, params: Record<string, string>, sink: SeriesSink, scan: ScanOptions, signal?: AbortSignal): Promise<ScanSummary & { warnings: string[] }> {
    // One deadline for the whole answer; the caller's signal (the cycle deadline) aborts too.
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; controller.abort(); }, this.timeoutMs);
    const onOuterAbort = () => controller.abort();
    if (signal?.aborted) onOuterAbort();
    else signal?.addEventListener('abort', onOuterAbort, { once: true });
    const scanner = new PrometheusScanner(sink, scan);
    let status = 0;
    let head = Buffer.alloc(0);
    let summary: ScanSummary | undefined;
    try {
      const send = () => this.method === 'POST'
        ? this.http.post<Readable>(path, new URLSearchParams(params).toString(), { headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, signal: controller.signal })
        : this.http.get<Readable>(path, { params, signal: controller.signal });
      // A kept-alive connection that the server closed just as it was reused
      // resets before any answer: queries are read-only, so one retry on a fresh connection is safe.
      const res = await send().catch((e: AxiosError) => {
        if (!controller.signal.aborted && e.response === undefined && (e.code === 'ECONNRESET' || /socket hang up/.test(e.message ?? ''))) return send();
        throw e;
      });
      status = res.status;
      const stream = res.data;
      try {
        for await (const chunk of stream as AsyncIterable<Buffer>) {
          // The first bytes, for messages about answers that are not API JSON.
          if (head.length < 200) head = Buffer.concat([head, chunk.subarray(0, 200 - head.length)]);
          scanner.write(chunk);
        }
        summary = scanner.end();
      } catch (e) {
        if (!(e instanceof JsonSyntaxError)) throw e;
        // Not JSON: judged below from the status and the first bytes; the rest is not read.
      } finally {
        stream.destroy();
      }
    } catch (e) {
      throw this.transportError(e as AxiosError, timedOut);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onOuterAbort);
    }
    const text = head.toString('utf8');
    if (summary && summary.status === 'error') {
      // The API's documented error shape: errorType (bad_data, execution, timeout, ...) and error.
      throw new SkewwatchError('source-api', `Prometheus ${this.where()} answered ${status} ${String(summary.errorType ?? 'error')}: ${redactText(String(summary.error ?? '')).slice(0, 500)}`);
    }
    if (status < 200 || status >= 300) {
      throw new SkewwatchError('source-http', `Prometheus ${this.where()} answered HTTP ${status}${text ? `: ${redactText(text.slice(0, 200))}` : ''}`);
    }
    if (!summary || !summary.isObject || summary.status !== 'success' || !summary.hasData) {
      throw new SkewwatchError('source-malformed', `Prometheus ${this.where()}${path}: the answer is not Prometheus API JSON (starts with ${JSON.stringify(text.slice(0, 40))})`);
    }
    return { ...summary, warnings: summary.warnings.map((w) => redactText(w)) };
  }

  private transportError(e: AxiosError, timedOut: boolean): SkewwatchError {
    if (e instanceof SkewwatchError) return e;
    const where = this.where();
    if (timedOut || e.code === 'ECONNABORTED' || e.code === 'ETIMEDOUT' || /timeout/i.test(e.message)) {
      return new SkewwatchError('source-timeout', `Prometheus ${where} did not answer in time (${timedOut ? `no complete answer within ${this.timeoutMs} ms` : redactText(e.message)})`, { cause: e.code });
    }
    if (e.code === 'ERR_CANCELED') return new SkewwatchError('source-timeout', `Prometheus ${where}: request aborted (cycle deadline)`);
    if (/maxContentLength|maxBodyLength/.test(e.message ?? '') || e.code === 'ERR_BAD_RESPONSE' && /size/.test(e.message)) {
      return new SkewwatchError('source-too-large', `Prometheus ${where}: response exceeds max_response_bytes (${e.message})`);
    }
    return new SkewwatchError('source-unreachable', `Prometheus ${where} is unreachable: ${e.code ?? ''} ${redactText(e.message ?? String(e))}`.trim());
  }
}

function short(s: string): string {
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}
