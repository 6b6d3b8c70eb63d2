// Client for HAProxy's runtime API over the admin unix socket.
//
// The socket is used in non-interactive mode: one command per connection,
// HAProxy closes after answering, so "read until end" is the whole protocol.
// `show stat` is the ground truth for per-server counters: it is what
// HAProxy itself counted, independent of Prometheus' scraping and rates.
import net from 'node:net';

export type ServerState = 'ready' | 'drain' | 'maint';

export interface StatRow {
  proxy: string;
  server: string;
  /** Requests queued in HAProxy for this server (per-server queue). */
  qcur: number;
  /** Current sessions. */
  scur: number;
  /** Total sessions. */
  stot: number;
  hrsp2xx: number;
  hrsp5xx: number;
  /** Connection errors (where HAProxy's own 503s after queue timeout are counted). */
  econ: number;
  eresp: number;
  weight: number;
  /** UP, DOWN, MAINT, DRAIN, "no check", OPEN (frontends)... */
  status: string;
  raw: Record<string, string>;
}

export async function runtimeCommand(socketPath: string, command: string, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const sock = net.createConnection({ path: socketPath });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`haproxy runtime API: no answer to "${command}" within ${timeoutMs} ms`));
    }, timeoutMs);
    sock.on('connect', () => sock.write(`${command}\n`));
    sock.on('data', (d) => chunks.push(d));
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    sock.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}

const num = (s: string | undefined) => (s === undefined || s === '' ? 0 : Number(s));

/** Parse `show stat` CSV. The header line starts with "# ". */
export function parseShowStat(csv: string): StatRow[] {
  const lines = csv.split('\n').filter((l) => l.trim() !== '');
  const headerLine = lines.find((l) => l.startsWith('# '));
  if (!headerLine) throw new Error(`show stat: no CSV header in answer: ${csv.slice(0, 200)}`);
  const header = headerLine.slice(2).split(',');
  const rows: StatRow[] = [];
  for (const line of lines) {
    if (line.startsWith('#')) continue;
    const cells = line.split(',');
    const raw: Record<string, string> = {};
    header.forEach((h, i) => {
      if (h) raw[h] = cells[i] ?? '';
    });
    rows.push({
      proxy: raw.pxname ?? '',
      server: raw.svname ?? '',
      qcur: num(raw.qcur),
      scur: num(raw.scur),
      stot: num(raw.stot),
      hrsp2xx: num(raw.hrsp_2xx),
      hrsp5xx: num(raw.hrsp_5xx),
      econ: num(raw.econ),
      eresp: num(raw.eresp),
      weight: num(raw.weight),
      status: raw.status ?? '',
      raw,
    });
  }
  return rows;
}

export class HaproxyRuntime {
  constructor(readonly socketPath: string) {}

  command(cmd: string): Promise<string> {
    return runtimeCommand(this.socketPath, cmd);
  }

  /** HAProxy answers an empty line on success and a message on error. */
  private async expectEmpty(cmd: string): Promise<void> {
    const out = (await this.command(cmd)).trim();
    if (out !== '') throw new Error(`haproxy runtime API: "${cmd}" answered: ${out}`);
  }

  /** Weight 0..256 (absolute). With roundrobin it applies at once; static-rr ignores runtime changes except 0/!0. */
  setWeight(backend: string, server: string, weight: number): Promise<void> {
    if (!Number.isInteger(weight) || weight < 0 || weight > 256) {
      return Promise.reject(new RangeError(`HAProxy weights are integers 0..256, got ${weight}`));
    }
    return this.expectEmpty(`set weight ${backend}/${server} ${weight}`);
  }

  setServerState(backend: string, server: string, state: ServerState): Promise<void> {
    return this.expectEmpty(`set server ${backend}/${server} state ${state}`);
  }

  async showStat(): Promise<StatRow[]> {
    return parseShowStat(await this.command('show stat'));
  }

  /** Server rows of one backend (excludes FRONTEND/BACKEND aggregate rows). */
  async servers(backend: string): Promise<StatRow[]> {
    return (await this.showStat()).filter((r) => r.proxy === backend && r.server !== 'BACKEND' && r.server !== 'FRONTEND');
  }

  async backendRow(backend: string): Promise<StatRow | undefined> {
    return (await this.showStat()).find((r) => r.proxy === backend && r.server === 'BACKEND');
  }
}
