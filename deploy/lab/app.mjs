// A lab backend: every request costs CPU (a busy loop of WORK_MS), so a
// server that gets more than its share runs hotter, as in the incidents.
// /metrics exposes its process CPU like a Node or Go exporter would; the
// Prometheus scrape config adds HAProxy's proxy/server labels to it.
import { createServer } from 'node:http';

const port = Number(process.env.PORT ?? 8000);
const workMs = Number(process.env.WORK_MS ?? 8);
let requests = 0;

// Spins until this process has used `ms` of CPU (not wall-clock time: on a
// busy host the cost per request stays the same, as real work's would).
function burn(ms) {
  const target = cpuMicros() + ms * 1000;
  let x = 0;
  while (cpuMicros() < target) for (let i = 0; i < 2000; i++) x += Math.sqrt(x + i);
  return x;
}

function cpuMicros() {
  const { user, system } = process.cpuUsage();
  return user + system;
}

function metrics() {
  const { user, system } = process.cpuUsage();
  return [
    '# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.',
    '# TYPE process_cpu_seconds_total counter',
    `process_cpu_seconds_total ${(user + system) / 1e6}`,
    '# HELP app_requests_total Requests served.',
    '# TYPE app_requests_total counter',
    `app_requests_total ${requests}`,
    '',
  ].join('\n');
}

const server = createServer((req, res) => {
  if (req.url === '/metrics') {
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
    return res.end(metrics());
  }
  requests++;
  burn(workMs);
  res.writeHead(200, { 'Content-Type': 'text/plain' });
  res.end('ok\n');
});
server.listen(port, process.env.HOST ?? '0.0.0.0', () => console.log(`app listening on ${port}, ${workMs} ms of CPU per request`));
for (const sig of ['SIGTERM', 'SIGINT']) process.once(sig, () => server.close(() => process.exit(0)));
