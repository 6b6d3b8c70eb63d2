// A scriptable local HTTP server (127.0.0.1, ephemeral port) that the
// service-specific receivers build on. Scripted replies are consumed one per
// request before the receiver's own (documented) behaviour applies.

import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Reply =
  | { readonly status: number; readonly body?: string | object; readonly headers?: Readonly<Record<string, string>>; readonly delayMs?: number }
  /** Accept the request and never answer (forces the client's timeout). */
  | { readonly hang: true }
  /** Close the connection without an HTTP answer. */
  | { readonly destroy: true };

export interface ReceivedRequest {
  /** Date.now() when the request arrived. */
  readonly at: number;
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly rawBody: string;
  /** Parsed JSON, or undefined when the body is not JSON. */
  readonly body: unknown;
  /** What the receiver answered (0 for hang/destroy). */
  status: number;
  responseBody: string;
}

export interface RequestContext {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly rawBody: string;
  readonly body: unknown;
}

export interface ReceiverBase {
  /** Base URL (service-specific receivers document which path to use). */
  readonly baseUrl: string;
  /** Every request in arrival order, including scripted and rejected ones. */
  readonly received: ReceivedRequest[];
  /** Queue one-shot replies for the next requests. */
  script(...replies: Reply[]): void;
  /**
   * A standing rule: every request `match`ing gets `reply` until clearRules()
   * (a receiver that fails on one payload only: 500 for one alert, a hang for
   * one body). Scripted replies still come first.
   */
  failWhen(match: (ctx: RequestContext) => boolean, reply: Reply): void;
  clearRules(): void;
  /** Replies still queued. */
  pendingScript(): number;
  /** Resolves once at least `n` requests arrived (real time; for end-to-end tests). */
  waitFor(n: number, timeoutMs?: number): Promise<void>;
  clear(): void;
  close(): Promise<void>;
}

const MAX_BODY = 2 * 1024 * 1024;

/** `port`: listen there instead of an ephemeral port (a sink that was refusing connections comes up). */
export interface ListenOptions {
  readonly port?: number;
}

export async function startReceiver(name: string, handle: (ctx: RequestContext) => Reply, listen: ListenOptions = {}): Promise<ReceiverBase> {
  const received: ReceivedRequest[] = [];
  const queue: Reply[] = [];
  const rules: Array<{ match: (ctx: RequestContext) => boolean; reply: Reply }> = [];
  const sockets = new Set<Socket>();
  const waiters: Array<{ n: number; resolve: () => void }> = [];

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = JSON.parse(rawBody);
      } catch {
        body = undefined;
      }
      const ctx: RequestContext = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, rawBody, body };
      const rec: ReceivedRequest = { at: Date.now(), ...ctx, status: 0, responseBody: '' };
      received.push(rec);
      for (const w of [...waiters]) {
        if (received.length >= w.n) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
      }
      const rule = queue.length === 0 ? rules.find((r) => r.match(ctx)) : undefined;
      const reply = queue.length > 0 ? queue.shift()! : rule ? rule.reply : size > MAX_BODY ? { status: 413, body: 'request too large' } : handle(ctx);
      if ('hang' in reply) return;
      if ('destroy' in reply) {
        req.socket.destroy();
        return;
      }
      const text = reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
      const headers: Record<string, string> = {
        'content-type': typeof reply.body === 'object' ? 'application/json' : 'text/plain; charset=utf-8',
        ...reply.headers,
      };
      rec.status = reply.status;
      rec.responseBody = text;
      const send = () => {
        if (res.destroyed) return;
        res.writeHead(reply.status, headers);
        res.end(text);
      };
      if (reply.delayMs) setTimeout(send, reply.delayMs).unref();
      else send();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    received,
    script: (...replies) => void queue.push(...replies),
    failWhen: (match, reply) => void rules.push({ match, reply }),
    clearRules: () => void (rules.length = 0),
    pendingScript: () => queue.length,
    waitFor: (n, timeoutMs = 5000) =>
      new Promise<void>((resolve, reject) => {
        if (received.length >= n) return resolve();
        const timer = setTimeout(() => reject(new Error(`${name} receiver: waited ${timeoutMs}ms for ${n} requests, got ${received.length}`)), timeoutMs);
        timer.unref();
        waiters.push({
          n,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      }),
    clear: () => {
      received.length = 0;
      queue.length = 0;
      rules.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port that refuses connections (bound, then released). */
export async function refusedUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return `http://127.0.0.1:${port}`;
}
