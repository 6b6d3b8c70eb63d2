// A fake Prometheus query API for the fault-injection suites, answering the
// custom preset's queries (fake_rate, fake_weight, fake_cpu) from a state the
// test controls, and misbehaving on demand the ways real ones do: 503, 422,
// an HTML error page from a proxy, truncated JSON, a body over the cap,
// NaN/Inf values, duplicate series, renamed backends, answers slower than
// the timeout. Fast and deterministic; the real Prometheus is used where the
// fault is about the real process (killed and restarted).
import type { ServerResponse } from 'node:http';
import { startServer, json, type TestServer } from '../../fakes/http-server.js';

export type Fault = 'none' | '503' | '422' | 'html' | 'truncated' | 'huge' | 'slow' | 'nan' | 'duplicate' | 'renamed' | 'cpu-error' | 'cpu-unjoined' | 'no-pools';

export interface FaultSourceState {
  /** Per pool, per backend request rate. */
  pools: Record<string, Record<string, number>>;
  fault: Fault;
  /** Answer delay for 'slow', ms. */
  slowMs: number;
}

export const BALANCED = { s1: 30, s2: 30, s3: 30 };
export const SKEWED = { s1: 160, s2: 10, s3: 10 };

/** The custom-preset source section that matches this server. */
export function sourceYaml(url: string, opts: { cpu?: boolean; timeout?: string; maxBytes?: string } = {}): string[] {
  return [
    'source:',
    '  mode: prometheus',
    '  preset: custom',
    '  rate_window: 10s',
    '  pool_labels: [proxy]',
    '  backend_label: server',
    '  queries:',
    "    rate: 'fake_rate'",
    "    weight: 'fake_weight'",
    ...(opts.cpu ? ["    cpu: 'fake_cpu'"] : []),
    '  prometheus:',
    `    url: ${url}`,
    `    timeout: ${opts.timeout ?? '1s'}`,
    ...(opts.maxBytes ? [`    max_response_bytes: ${opts.maxBytes}`] : []),
  ];
}

export interface FaultSource extends TestServer {
  readonly state: FaultSourceState;
  /** Queries answered so far by kind. */
  readonly served: { ok: number; faulty: number };
}

export async function startFaultSource(initial: Partial<FaultSourceState> = {}): Promise<FaultSource> {
  const state: FaultSourceState = { pools: { be_app: { ...BALANCED } }, fault: 'none', slowMs: 3000, ...initial };
  const served = { ok: 0, faulty: 0 };
  const vector = (res: ServerResponse, t: number, series: Array<[Record<string, string>, string]>) =>
    json(res, 200, { status: 'success', data: { resultType: 'vector', result: series.map(([metric, v]) => ({ metric, value: [t, v] })) } });
  const server = await startServer(async (req, _body, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== '/api/v1/query') return json(res, 404, { status: 'error', errorType: 'not_found', error: 'not found' });
    const q = url.searchParams.get('query') ?? '';
    const t = Number(url.searchParams.get('time') ?? Date.now() / 1000);
    const f = state.fault;
    const rateQuery = q === 'fake_rate';
    if (f !== 'none' && !f.startsWith('cpu-')) served.faulty++;
    else served.ok++;
    switch (f) {
      case '503':
        res.writeHead(503, { 'Content-Type': 'text/plain' });
        return void res.end('Service Unavailable');
      case '422':
        return json(res, 422, { status: 'error', errorType: 'execution', error: 'query processing would load too many samples into memory' });
      case 'html':
        res.writeHead(502, { 'Content-Type': 'text/html' });
        return void res.end('<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>');
      case 'truncated':
        res.writeHead(200, { 'Content-Type': 'application/json' });
        return void res.end('{"status":"success","data":{"resultType":"vector","result":[{"metric":{"proxy":"be_a');
      case 'huge': {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        // 2 MiB of valid-looking JSON: over a 1 MiB cap.
        return void res.end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [] }, pad: 'x'.repeat(2 * 1024 * 1024) }));
      }
      case 'slow':
        await new Promise((r) => setTimeout(r, state.slowMs));
        break;
      default:
        break;
    }
    if (res.writableEnded || res.destroyed) return;
    const series: Array<[Record<string, string>, string]> = [];
    if (f === 'no-pools') return vector(res, t, []);
    for (const [pool, backends] of Object.entries(state.pools)) {
      for (const [server, rate] of Object.entries(backends)) {
        const name = f === 'renamed' ? `${server}-new` : server;
        const labels = { proxy: pool, server: name };
        if (rateQuery) {
          const v = f === 'nan' ? (server === 's1' ? 'NaN' : server === 's2' ? '+Inf' : String(rate)) : String(rate);
          series.push([labels, v]);
          if (f === 'duplicate') series.push([{ ...labels, instance: 'replica-2' }, String(rate)]);
        } else if (q === 'fake_weight') {
          series.push([labels, '1']);
        } else if (q === 'fake_cpu') {
          if (f === 'cpu-error') return json(res, 400, { status: 'error', errorType: 'bad_data', error: '1:10: parse error: unexpected identifier' });
          series.push([f === 'cpu-unjoined' ? { instance: `${server}:9100`, job: 'node' } : labels, String(Math.min(1, rate / 200))]);
        }
      }
    }
    vector(res, t, series);
  });
  return Object.assign(server, { state, served });
}
