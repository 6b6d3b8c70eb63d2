// The daemon's HTTP surface for Prometheus and Kubernetes.
//   /metrics        own metrics (prom-client registry)
//   /healthz        alive: the process answers
//   /readyz         ready: the last successful collection is recent enough
//   /api/v1/status  JSON: pools, statistics, alert states
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { errorMessage, SkewwatchError } from '../util/errors.js';
import { redactText } from '../util/redact.js';

export interface StatusProvider {
  readiness(): { ready: boolean; reason: string };
  status(): unknown;
}

export interface HttpServerHandle {
  readonly url: string;
  close(): Promise<void>;
}

export function parseListen(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  const host = listen.slice(0, i).replace(/^\[|\]$/g, '') || '0.0.0.0';
  return { host, port: Number(listen.slice(i + 1)) };
}

export async function startHttpServer(listen: string, registry: Registry, provider: StatusProvider): Promise<HttpServerHandle> {
  const server: Server = createServer((req, res) => {
    const send = (status: number, type: string, body: string, extra: Record<string, string> = {}) => {
      if (res.headersSent) return;
      res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store', ...extra });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    // A throwing provider (a status that cannot be built) answers 500; it
    // must never become an uncaught exception that kills the monitor.
    try {
      route(req.url ?? '/', req.method ?? 'GET', send);
    } catch (e) {
      send(500, 'text/plain', `internal error: ${redactText(errorMessage(e))}\n`);
    }
  });
  server.on('clientError', (_e, socket) => { socket.destroy(); });

  function route(url: string, method: string, send: (status: number, type: string, body: string, extra?: Record<string, string>) => void): void {
    const path = url.split('?')[0];
    if (method !== 'GET' && method !== 'HEAD') return send(405, 'text/plain', 'method not allowed\n', { Allow: 'GET, HEAD' });
    switch (path) {
      case '/metrics':
        registry.metrics().then(
          (text) => send(200, registry.contentType, text),
          (e: unknown) => send(500, 'text/plain', `metrics failed: ${redactText(errorMessage(e))}\n`),
        );
        return;
      case '/healthz':
        return send(200, 'text/plain', 'ok\n');
      case '/readyz': {
        const r = provider.readiness();
        return send(r.ready ? 200 : 503, 'text/plain', `${r.reason}\n`);
      }
      case '/api/v1/status':
        return send(200, 'application/json', `${JSON.stringify(provider.status(), null, 2)}\n`);
      case '/':
        return send(200, 'text/plain', 'skewwatch: /metrics /healthz /readyz /api/v1/status\n');
      default:
        return send(404, 'text/plain', 'not found\n');
    }
  }
  const { host, port } = parseListen(listen);
  await new Promise<void>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => {
      const why = e.code === 'EADDRINUSE' ? 'the address is already in use (another process listens there; set listen / SKEWWATCH_LISTEN)'
        : e.code === 'EACCES' ? 'permission denied (ports below 1024 need privileges)'
        : e.code === 'EADDRNOTAVAIL' ? 'no such local address'
        : (e.code ?? e.message);
      reject(new SkewwatchError('config', `cannot listen on ${listen}: ${why}`, { cause: e }));
    };
    server.once('error', onError);
    server.listen(port, host, () => { server.off('error', onError); resolve(); });
  });
  const addr = server.address() as AddressInfo;
  const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${shownHost === '0.0.0.0' ? '127.0.0.1' : shownHost}:${addr.port}`,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
