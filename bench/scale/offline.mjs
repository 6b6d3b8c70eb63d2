// skewwatch's own cost and memory on answers recorded by a real
// `npm run bench:scale` run (SCALE_SAVE_DIR=dir), without a database: the
// recording proxy serves them from dir, and measure.mjs runs as in the real
// bench. queryMs is the recorded database time (the longest answer), not a
// new measurement. Usage: node bench/scale/offline.mjs <dir> [cycles]
// Env: SCALE_NODE_OPTIONS (V8 flags for the measured process), SCALE_WINDOW.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const [dir, cycles = '3'] = process.argv.slice(2);
const port = await new Promise((r) => { const s = createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => r(p)); }); });
const proxy = spawn(process.execPath, [join(here, 'proxy.mjs'), String(port), 'http://127.0.0.1:1'], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], env: { ...process.env, SCALE_LOAD_DIR: dir } });
await new Promise((r, j) => { proxy.once('message', r); proxy.once('exit', (c) => j(new Error(`proxy exited ${c}`))); });
try {
  const flags = (process.env.SCALE_NODE_OPTIONS ?? '').split(' ').filter(Boolean);
  const m = spawn(process.execPath, ['--expose-gc', ...flags, join(here, 'measure.mjs'), 'offline', `http://127.0.0.1:${port}`, process.env.SCALE_WINDOW ?? '1m', cycles], { stdio: 'inherit' });
  const code = await new Promise((r) => m.once('exit', r));
  process.exitCode = code ?? 1;
} finally {
  proxy.kill('SIGTERM');
}
