// Sends one command to HAProxy's runtime API and prints the answer: the lab's
// way to inject the misconfiguration without socat in any image, e.g.
//   docker compose exec app1 node /lab/haproxy-admin.mjs "set weight be_app/s1 8"
// HAPROXY_ADMIN is host:port (default haproxy:9999) or a Unix socket path.
import { connect } from 'node:net';

const command = process.argv.slice(2).join(' ');
if (!command) {
  console.error('usage: node haproxy-admin.mjs "<runtime API command>", e.g. "set weight be_app/s1 8"');
  process.exit(2);
}
const where = process.env.HAPROXY_ADMIN ?? 'haproxy:9999';
const m = /^(.+):(\d+)$/.exec(where);
const socket = m && !where.startsWith('/') ? connect(Number(m[2]), m[1]) : connect(where);
socket.setTimeout(5000, () => {
  console.error(`no answer from ${where} within 5 s`);
  process.exit(1);
});
socket.on('connect', () => socket.end(`${command}\n`));
socket.on('data', (d) => process.stdout.write(d));
socket.on('error', (e) => {
  console.error(`cannot reach HAProxy's runtime API at ${where}: ${e.message}`);
  process.exit(1);
});
socket.on('close', () => process.exit(0));
