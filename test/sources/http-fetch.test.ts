import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { createAgents, displayUrl, fetchText } from '../../src/sources/http-fetch.js';
import { isSkewwatchError } from '../../src/util/errors.js';
import { serve, type TestServer } from './serve.js';

// Self-signed certificate for 127.0.0.1 / localhost, test use only.
const CERT = readFileSync(new URL('./tls/cert.pem', import.meta.url), 'utf8');
const KEY = readFileSync(new URL('./tls/key.pem', import.meta.url), 'utf8');

describe('displayUrl', () => {
  it('drops credentials and query values', () => {
    assert.equal(displayUrl('http://user:pass@host:9100/metrics?token=x&a=b#frag'), 'http://host:9100/metrics?…');
    assert.equal(displayUrl('https://h/metrics'), 'https://h/metrics');
    assert.equal(displayUrl('not a url?secret=1'), 'not a url?…');
  });
});

describe('fetchText', () => {
  let srv: TestServer;
  before(async () => {
    srv = await serve();
  });
  after(() => srv.close());

  it('decompresses gzip and reports the content type', async () => {
    srv.route('/gz', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4', 'content-encoding': 'gzip' });
      res.end(gzipSync('a 1\n'));
    });
    const r = await fetchText({ url: `${srv.base}/gz` }, { maxBytes: 1000, defaultTimeoutMs: 1000 });
    assert.equal(r.body, 'a 1\n');
    assert.equal(r.contentType, 'text/plain; version=0.0.4');
  });

  it('caps the decompressed size, not only the wire size', async () => {
    srv.route('/bomb', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' });
      res.end(gzipSync('a 1\n'.repeat(100_000)));
    });
    await assert.rejects(
      fetchText({ url: `${srv.base}/bomb` }, { maxBytes: 50_000, defaultTimeoutMs: 2000 }),
      (e: unknown) => isSkewwatchError(e, 'source-too-large'),
    );
  });

  it('does not follow redirects', async () => {
    srv.route('/moved', (_req, res) => res.writeHead(302, { location: '/elsewhere' }).end());
    await assert.rejects(
      fetchText({ url: `${srv.base}/moved`, bearerToken: 'secret-token-1' }, { maxBytes: 1000, defaultTimeoutMs: 1000 }),
      (e: unknown) => isSkewwatchError(e, 'source-http') && /HTTP 302/.test(e.message),
    );
  });

  describe('TLS', () => {
    let base = '';
    let server: https.Server;
    before(async () => {
      server = https.createServer({ cert: CERT, key: KEY }, (_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('a 1\n'));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(() => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    });

    it('rejects an untrusted certificate as unreachable', async () => {
      const agents = createAgents();
      try {
        await assert.rejects(
          fetchText({ url: `${base}/m` }, { maxBytes: 1000, defaultTimeoutMs: 2000, agents }),
          (e: unknown) => isSkewwatchError(e, 'source-unreachable') && /SELF_SIGNED|certificate/i.test(e.message),
        );
      } finally {
        agents.destroy();
      }
    });

    it('applies the target TLS options without shared agents', async () => {
      const r = await fetchText({ url: `${base}/m`, tls: { ca: CERT, serverName: 'localhost' } }, { maxBytes: 1000, defaultTimeoutMs: 2000 });
      assert.equal(r.body, 'a 1\n');
    });

    it('trusts a given CA, or skips verification when told', async () => {
      for (const tls of [{ ca: CERT }, { insecureSkipVerify: true }]) {
        const agents = createAgents(tls);
        try {
          const r = await fetchText({ url: `${base}/m`, tls }, { maxBytes: 1000, defaultTimeoutMs: 2000, agents });
          assert.equal(r.body, 'a 1\n');
        } finally {
          agents.destroy();
        }
      }
    });
  });
});
