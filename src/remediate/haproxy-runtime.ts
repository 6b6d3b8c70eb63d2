// HAProxy's runtime API (the stats socket, `stats socket ... level admin`),
// over a unix socket or its TCP form. Non-interactive mode: one command per
// connection, HAProxy answers and closes, so the answer is everything read
// until the close. `set weight` answers an empty line on success and a
// sentence on failure ("No such server.", "Backend is using a static LB
// algorithm ...") — HAProxy management guide, section 9.3.
import net from 'node:net';
import { SkewwatchError } from '../util/errors.js';

/** "unix:/run/haproxy/admin.sock", "/run/haproxy/admin.sock" or "tcp://127.0.0.1:9999". */
export type RuntimeAddress = string;

export function connectOptions(address: RuntimeAddress): net.NetConnectOpts {
  if (address.startsWith('tcp://')) {
    const u = new URL(address);
    return { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port) };
  }
  return { path: address.startsWith('unix:') ? address.slice('unix:'.length) : address };
}

export async function runtimeCommand(address: RuntimeAddress, command: string, timeoutMs = 3000): Promise<string> {
  if (/[\r\n;]/.test(command)) throw new SkewwatchError('config', 'runtime API command must be a single command');
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const sock = net.createConnection(connectOptions(address));
    const done = (e: Error | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      if (e) reject(e);
      else resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const timer = setTimeout(() => done(new SkewwatchError('source-timeout', `HAProxy runtime API: no answer within ${timeoutMs} ms`)), timeoutMs);
    sock.on('connect', () => sock.write(`${command}\n`));
    sock.on('data', (d) => {
      chunks.push(d);
      if (Buffer.concat(chunks).length > 65_536) done(new SkewwatchError('source-too-large', 'HAProxy runtime API: answer over 64 KiB'));
    });
    sock.on('error', (e) => done(new SkewwatchError('source-unreachable', `HAProxy runtime API: ${e.message}`, { cause: e })));
    sock.on('close', () => done(null));
  });
}

const NAME = /^[A-Za-z0-9_.:-]+$/;

/** `set weight BACKEND/SERVER N`; throws with HAProxy's own words when it refuses. */
export async function setWeight(address: RuntimeAddress, backend: string, server: string, weight: number, timeoutMs?: number): Promise<void> {
  if (!NAME.test(backend) || !NAME.test(server)) throw new SkewwatchError('config', `refusing to send a runtime command for ${JSON.stringify(`${backend}/${server}`)}: unexpected characters`);
  if (!Number.isInteger(weight) || weight < 0 || weight > 256) throw new SkewwatchError('config', `weight must be an integer from 0 to 256, got ${weight}`);
  const answer = (await runtimeCommand(address, `set weight ${backend}/${server} ${weight}`, timeoutMs)).trim();
  if (answer !== '') throw new SkewwatchError('sink-final', `HAProxy refused "set weight ${backend}/${server} ${weight}": ${answer.slice(0, 200)}`);
}
