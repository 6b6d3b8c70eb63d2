// Entry point run as its own OS process (`node --import tsx backend-main.ts`)
// so each backend saturates its own core independently of the test runner.
import { createBackendApp } from './backend-app.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : def;
}

const server = createBackendApp({
  name: arg('name', 'backend'),
  port: Number(arg('port', '0')),
  cpuMs: Number(arg('cpu-ms', '4')),
  maxQueue: Number(arg('max-queue', '0')),
});
server.on('listening', () => console.log(`backend ${arg('name', 'backend')} listening on ${JSON.stringify(server.address())}`));

// Exit promptly on SIGTERM: the harness stops us by pid.
const shutdown = () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 500).unref();
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
// If the harness dies without killing us, do not linger: the parent's stdin
// is not ours (stdio ignored), so poll the parent pid instead.
const parent = process.ppid;
setInterval(() => {
  try {
    process.kill(parent, 0);
  } catch {
    process.exit(0);
  }
}, 1000).unref();
