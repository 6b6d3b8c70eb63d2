// A stand-in for HAProxy's runtime API (the stats socket's TCP form) in front
// of the simulated fleet, so the demo's --auto-fix is skewwatch's real
// restore (remediate.restore_declared_weights) talking to "HAProxy", not a
// shortcut. One command per connection, answered and closed, as HAProxy does
// in non-interactive mode: `set weight <backend>/<server> <0-256>` answers an
// empty line, an unknown server "No such server.", anything else "Unknown
// command." Binds 127.0.0.1 only.
import net from 'node:net';

export interface RuntimeApiServer {
  readonly port: number;
  /** tcp://127.0.0.1:<port>, as remediate.runtime_api takes it. */
  readonly address: string;
  /** The commands received, in order (for the demo's timeline and tests). */
  readonly commands: readonly string[];
  close(): Promise<void>;
}

export async function startRuntimeApi(proxy: string, setWeight: (server: string, weight: number) => boolean): Promise<RuntimeApiServer> {
  const commands: string[] = [];
  const server = net.createServer((sock) => {
    let buf = '';
    sock.setTimeout(3000, () => sock.destroy());
    sock.on('data', (d) => {
      buf += d.toString('utf8');
      if (buf.length > 4096) return sock.destroy();
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      const line = buf.slice(0, nl).trim();
      commands.push(line);
      const m = /^set weight ([^/\s]+)\/(\S+) (\d{1,3})%?$/.exec(line);
      let answer = 'Unknown command.\n';
      if (m && m[1] === proxy && Number(m[3]) <= 256) answer = setWeight(m[2]!, Number(m[3])) ? '\n' : 'No such server.\n';
      else if (m) answer = 'No such server.\n';
      sock.end(answer);
    });
    sock.on('error', () => sock.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    address: `tcp://127.0.0.1:${port}`,
    commands,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
