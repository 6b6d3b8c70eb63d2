// Free loopback ports for the processes a test starts.
//
// We let the kernel pick (bind port 0), read the port and close the socket.
// There is a small race between close and the real server binding it; the
// ports we hand out within one process are remembered so two calls never
// return the same port, which is the collision that actually happens in
// practice (several servers started in a row).
import net from 'node:net';

const handedOut = new Set<number>();

/** One free TCP port on 127.0.0.1. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  // Bounded: the kernel rarely repeats a port, but never loop forever.
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = net.createServer();
      srv.unref();
      srv.once('error', reject);
      srv.listen({ host, port: 0, exclusive: true }, () => {
        const addr = srv.address();
        const p = typeof addr === 'object' && addr ? addr.port : 0;
        srv.close(() => resolve(p));
      });
    });
    if (port > 0 && !handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('freePort: could not find an unused loopback port after 20 attempts');
}

/** `n` distinct free ports. */
export async function freePorts(n: number, host = '127.0.0.1'): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(await freePort(host));
  return out;
}
