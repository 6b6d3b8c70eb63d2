// The scale bench's recording proxy, a CHILD process between skewwatch and
// the database. Usage: node proxy.mjs <port> <upstreamUrl>
// Mode "record" (default): forwards every request, stores the response body
// keyed by path and query (without the `time` parameter) and the wall time
// from the request's arrival until the upstream's last byte arrived.
// Mode "replay": answers from the stored bodies without asking upstream, so
// a cycle against it costs skewwatch's own work only (plus loopback transfer).
// Control: GET /__bench/mode?m=record|replay, GET /__bench/timings (and reset),
// GET /__bench/headers (the request headers seen last, for header checks).
// SCALE_SAVE_DIR=dir: also write every recorded answer there (one file per
// query, for bench/scale/offline.mjs: skewwatch's own cost on the recorded
// answers without loading a database again).
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { join } from 'node:path';

const [portText, upstream] = process.argv.slice(2);
const up = new URL(upstream);
let mode = 'record';
const store = new Map();
let timings = [];
let lastHeaders = {};
const loaded = process.env.SCALE_LOAD_DIR;
if (loaded) {
  for (const f of readdirSync(loaded).filter((n) => n.endsWith('.answer'))) {
    const meta = JSON.parse(readFileSync(join(loaded, `${f}.json`), 'utf8'));
    store.set(meta.key, { status: meta.status, headers: meta.headers, queryMs: meta.queryMs, body: readFileSync(join(loaded, f)) });
  }
}

function key(url) {
  const u = new URL(url, 'http://x');
  u.searchParams.delete('time');
  return `${u.pathname}?${u.searchParams}`;
}

createServer((req, res) => {
  if (req.url.startsWith('/__bench/')) {
    const u = new URL(req.url, 'http://x');
    if (u.pathname === '/__bench/mode') mode = u.searchParams.get('m');
    const out = u.pathname === '/__bench/timings' ? timings : u.pathname === '/__bench/headers' ? lastHeaders : { mode };
    if (u.pathname === '/__bench/timings') timings = [];
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify(out));
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const reqBody = Buffer.concat(chunks);
    lastHeaders = req.headers;
    const k = key(req.url) + (reqBody.length ? `#${reqBody}` : '');
    if ((mode === 'replay' || loaded) && store.has(k)) {
      const s = store.get(k);
      // Offline: the recorded database time stands in for the query time.
      if (mode === 'record') timings.push({ path: k.slice(0, 120), startMs: performance.now(), endMs: performance.now() + s.queryMs, bytes: s.body.length, status: s.status });
      res.writeHead(s.status, s.headers);
      return res.end(s.body);
    }
    const started = performance.now();
    const headers = { ...req.headers, host: up.host };
    const upReq = request({ host: up.hostname, port: up.port, method: req.method, path: req.url, headers }, (upRes) => {
      const parts = [];
      upRes.on('data', (c) => parts.push(c));
      upRes.on('end', () => {
        const body = Buffer.concat(parts);
        const ended = performance.now();
        timings.push({ path: key(req.url).slice(0, 120), startMs: started, endMs: ended, bytes: body.length, status: upRes.statusCode });
        const h = { 'content-type': upRes.headers['content-type'] ?? 'application/json', 'content-length': body.length, ...(upRes.headers['content-encoding'] ? { 'content-encoding': upRes.headers['content-encoding'] } : {}) };
        store.set(k, { status: upRes.statusCode, body, headers: h });
        if (process.env.SCALE_SAVE_DIR) {
          mkdirSync(process.env.SCALE_SAVE_DIR, { recursive: true });
          const name = join(process.env.SCALE_SAVE_DIR, `${createHash('sha256').update(k).digest('hex').slice(0, 16)}.answer`);
          writeFileSync(`${name}.json`, JSON.stringify({ key: k, status: upRes.statusCode, headers: h, queryMs: ended - started }));
          writeFileSync(name, body);
        }
        res.writeHead(upRes.statusCode, h);
        res.end(body);
      });
    });
    upReq.on('error', (e) => { res.writeHead(502); res.end(String(e)); });
    upReq.end(reqBody);
  });
}).listen(Number(portText), '127.0.0.1', () => process.send?.('ready'));
