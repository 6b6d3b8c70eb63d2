// Issue 11 items 5 and 8: the HTTP surface under faults. A throwing provider
// answers 500 and the process lives on; 405 says what is allowed; a port in
// use is a clear error, not a hang.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { Registry } from 'prom-client';
import { startHttpServer, type HttpServerHandle } from '../../src/http/server.js';

function call(url: string, method = 'GET') {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
    const req = request(url, { method }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('HTTP server under faults', () => {
  const servers: HttpServerHandle[] = [];
  after(async () => { for (const s of servers) await s.close(); });

  it('a throwing status provider answers 500 and the server keeps answering', async () => {
    const server = await startHttpServer('127.0.0.1:0', new Registry(), {
      readiness: () => { throw new Error('readiness exploded'); },
      status: () => { throw new Error('status exploded'); },
    });
    servers.push(server);
    const r = await call(`${server.url}/api/v1/status`);
    assert.equal(r.status, 500);
    assert.match(r.body, /status exploded/);
    assert.equal((await call(`${server.url}/readyz`)).status, 500);
    assert.equal((await call(`${server.url}/healthz`)).status, 200, 'still alive');
  });

  it('405 carries an Allow header', async () => {
    const server = await startHttpServer('127.0.0.1:0', new Registry(), { readiness: () => ({ ready: true, reason: 'ok' }), status: () => ({}) });
    servers.push(server);
    const r = await call(`${server.url}/metrics`, 'POST');
    assert.equal(r.status, 405);
    assert.equal(r.headers.allow, 'GET, HEAD');
  });

  it('a port in use rejects at once with a clear message', async () => {
    const first = await startHttpServer('127.0.0.1:0', new Registry(), { readiness: () => ({ ready: true, reason: 'ok' }), status: () => ({}) });
    servers.push(first);
    const port = new URL(first.url).port;
    await assert.rejects(
      startHttpServer(`127.0.0.1:${port}`, new Registry(), { readiness: () => ({ ready: true, reason: 'ok' }), status: () => ({}) }),
      (e: Error) => e.message === `cannot listen on 127.0.0.1:${port}: the address is already in use (another process listens there; set listen / SKEWWATCH_LISTEN)`,
    );
  });
});
