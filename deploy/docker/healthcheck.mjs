// Docker HEALTHCHECK: GET /healthz on the address skewwatch listens on
// (SKEWWATCH_LISTEN, default 0.0.0.0:9465; a wildcard host is reached on
// loopback). Exit 0 healthy, 1 not.
const listen = process.env.SKEWWATCH_LISTEN || '0.0.0.0:9465';
const m = /^(.*):(\d+)$/.exec(listen);
const rawHost = m ? m[1].replace(/^\[(.*)\]$/, '$1') : '';
const port = m ? m[2] : '9465';
const host = rawHost === '' || rawHost === '0.0.0.0' ? '127.0.0.1' : rawHost === '::' ? '::1' : rawHost;
const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/healthz`;
fetch(url, { signal: AbortSignal.timeout(2500) }).then(
  (r) => process.exit(r.ok ? 0 : 1),
  () => process.exit(1),
);
