// A loopback HTTP server for scrape tests: routes map a path to a handler, and
// every request is recorded (headers included) for assertions.

import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

export interface TestServer {
  readonly base: string;
  readonly requests: Array<{ path: string; headers: http.IncomingHttpHeaders }>;
  route(path: string, handler: Handler): void;
  close(): Promise<void>;
}

export async function serve(): Promise<TestServer> {
  const routes = new Map<string, Handler>();
  const requests: TestServer['requests'] = [];
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    requests.push({ path, headers: req.headers });
    const h = routes.get(path);
    if (h === undefined) {
      res.writeHead(404).end('not found');
      return;
    }
    h(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    requests,
    route: (path, handler) => routes.set(path, handler),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export const text =
  (body: string | (() => string), contentType = 'text/plain; version=0.0.4; charset=utf-8'): Handler =>
  (_req, res) => {
    res.writeHead(200, { 'content-type': contentType });
    res.end(typeof body === 'function' ? body() : body);
  };

/** A clock the test moves by hand. */
export function manualClock(start = 1_700_000_000_000) {
  let t = start;
  return {
    now: () => t,
    sleep: async () => {},
    set: (v: number) => {
      t = v;
    },
    advance: (ms: number) => {
      t += ms;
    },
  };
}
