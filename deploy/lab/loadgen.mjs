// The lab's load generator: open-loop, bounded. The offered rate ramps from
// RATE_START to RATE_END req/s over DURATION_SECONDS, then it stops and
// exits; at most MAX_IN_FLIGHT requests are outstanding, each times out after
// 5 s. Prints a line every 10 s: sent, 2xx, 5xx, failed.
const target = process.env.TARGET ?? 'http://haproxy:8080/';
const start = Number(process.env.RATE_START ?? 20);
const end = Number(process.env.RATE_END ?? 150);
const duration = Number(process.env.DURATION_SECONDS ?? 900);
const maxInFlight = Number(process.env.MAX_IN_FLIGHT ?? 200);
const tickMs = 100;

const counts = { sent: 0, ok: 0, e5xx: 0, other: 0, failed: 0, skipped: 0 };
let inFlight = 0;
const t0 = Date.now();

async function one() {
  inFlight++;
  counts.sent++;
  try {
    const r = await fetch(target, { signal: AbortSignal.timeout(5000) });
    await r.arrayBuffer();
    if (r.status >= 500) counts.e5xx++;
    else if (r.ok) counts.ok++;
    else counts.other++;
  } catch {
    counts.failed++;
  } finally {
    inFlight--;
  }
}

// Requests due by `t` seconds: the integral of the linear ramp. Sending what
// is due (not a fixed number per tick) keeps the offered rate right when the
// timer runs late on a busy host.
const dueBy = (t) => Math.floor(start * t + ((end - start) * t * t) / (2 * duration));
let offered = 0;

const timer = setInterval(() => {
  const elapsed = Math.min((Date.now() - t0) / 1000, duration);
  const due = dueBy(elapsed) - offered;
  for (let i = 0; i < due; i++) {
    offered++;
    if (inFlight >= maxInFlight) counts.skipped++;
    else void one();
  }
  if (elapsed >= duration) {
    clearInterval(timer);
    clearInterval(report);
    console.log(`done after ${duration}s: ${JSON.stringify(counts)}`);
  }
}, tickMs);

const report = setInterval(() => {
  const elapsed = (Date.now() - t0) / 1000;
  console.log(`t=${elapsed.toFixed(0)}s rate=${(start + ((end - start) * Math.min(elapsed, duration)) / duration).toFixed(0)}/s ${JSON.stringify(counts)} inFlight=${inFlight}`);
}, 10_000);
