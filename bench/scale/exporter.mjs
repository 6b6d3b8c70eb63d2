// A generated HAProxy-shaped exporter for the scale bench, run as a CHILD
// process (its CPU is not skewwatch's). Usage:
//   node exporter.mjs <port> <firstPool> <poolCount> <backendsPerPool>
// Serves, per backend: haproxy_server_http_responses_total{proxy,server,code}
// (2xx and 5xx), haproxy_server_weight, haproxy_server_status{state} (UP and
// DOWN, as 2.4+ exports one series per state), haproxy_server_current_queue,
// and process_cpu_seconds_total{proxy,server} (the backend's CPU, joinable on
// proxy/server). Counters grow linearly in wall time, so rate() is constant;
// 1 pool in 100 sends 60% of its traffic to its first backend (skewed, hot).
import { createServer } from 'node:http';

const [port, first, count, perPool] = process.argv.slice(2).map(Number);
const t0 = Date.now();
const pools = [];
for (let p = first; p < first + count; p++) {
  const skewed = p % 100 === 7;
  const servers = [];
  for (let b = 0; b < perPool; b++) {
    const share = skewed ? (b === 0 ? 0.6 : 0.4 / (perPool - 1)) : 1 / perPool;
    const rps = 50 * perPool * share * (0.98 + 0.04 * ((p * 31 + b * 17) % 100) / 100);
    servers.push({ lbl: `proxy="be_${p}",server="srv${b}"`, rps, cpu: Math.min(0.99, rps / 80) });
  }
  pools.push(servers);
}

function body() {
  const t = (Date.now() - t0) / 1000 + 1000;
  const out = [];
  out.push('# TYPE haproxy_server_http_responses_total counter');
  for (const s of pools) for (const b of s) {
    out.push(`haproxy_server_http_responses_total{${b.lbl},code="2xx"} ${Math.floor(b.rps * t)}`);
    out.push(`haproxy_server_http_responses_total{${b.lbl},code="5xx"} 0`);
  }
  out.push('# TYPE haproxy_server_weight gauge');
  for (const s of pools) for (const b of s) out.push(`haproxy_server_weight{${b.lbl}} 1`);
  out.push('# TYPE haproxy_server_status gauge');
  for (const s of pools) for (const b of s) out.push(`haproxy_server_status{${b.lbl},state="UP"} 1`, `haproxy_server_status{${b.lbl},state="DOWN"} 0`);
  out.push('# TYPE haproxy_server_current_queue gauge');
  for (const s of pools) for (const b of s) out.push(`haproxy_server_current_queue{${b.lbl}} 0`);
  out.push('# TYPE process_cpu_seconds_total counter');
  for (const s of pools) for (const b of s) out.push(`process_cpu_seconds_total{${b.lbl}} ${(b.cpu * t).toFixed(3)}`);
  out.push('');
  return out.join('\n');
}

createServer((req, res) => {
  const text = body();
  res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
  res.end(text);
}).listen(port, '127.0.0.1', () => process.send?.('ready'));
