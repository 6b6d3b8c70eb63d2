// Where the declared state comes from at run time: the HAProxy config file
// the balancer runs (re-read whenever it changes, so a deploy that edits it
// is picked up without a skewwatch reload) and the `declared.pools` map for
// balancers skewwatch cannot read a config of. A file that cannot be read
// keeps the last good declaration and says why, once per change.
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { RawConfig } from '../config/schema.js';
import type { DeclaredOverride, DeclaredPool, DeclaredProblem } from '../core/declared/types.js';
import { errorMessage } from '../util/errors.js';
import { parseHaproxyConfig } from './haproxy-config.js';

export interface DeclaredState {
  readonly pools: ReadonlyMap<string, DeclaredPool>;
  readonly overrides: readonly DeclaredOverride[];
  /** Lines that could not be read, and a file that could not be opened. */
  readonly problems: readonly DeclaredProblem[];
}

type DeclaredConfig = RawConfig['declared'];

/** The `declared.pools` map as declared pools (line numbers are not known for YAML maps: 0). */
export function poolsFromConfig(cfg: DeclaredConfig, file: string): DeclaredPool[] {
  return Object.entries(cfg.pools).map(([pool, p]) => {
    const members = p.members ?? Object.keys(p.weights);
    const at = { file, line: 0 };
    return {
      pool,
      balance: p.algorithm,
      hashType: 'map-based',
      timeoutQueueMs: null,
      at,
      servers: [...new Set([...members, ...p.backup])].map((name) => ({
        name,
        address: '',
        weight: p.weights[name] ?? 1,
        backup: p.backup.includes(name),
        disabled: p.disabled.includes(name),
        maxconn: null,
        slowstartMs: null,
        check: true,
        at,
      })),
    };
  });
}

export class DeclaredLoader {
  private stamp = '';
  private filePools: readonly DeclaredPool[] = [];
  private fileProblems: readonly DeclaredProblem[] = [];
  private readonly file: string | null;
  private readonly yamlPools: readonly DeclaredPool[];
  private readonly overrides: readonly DeclaredOverride[];

  /** `baseDir`: relative paths are read from there (the config file's folder). */
  constructor(cfg: DeclaredConfig, baseDir: string, configFile = 'config') {
    this.file = cfg.haproxy_config ? (isAbsolute(cfg.haproxy_config) ? cfg.haproxy_config : resolve(baseDir, cfg.haproxy_config)) : null;
    this.yamlPools = poolsFromConfig(cfg, configFile);
    this.overrides = cfg.overrides.map((o) => ({
      pool: o.pool,
      server: o.server,
      ...(o.weight !== undefined ? { weight: o.weight } : {}),
      ...(o.state !== undefined ? { state: o.state } : {}),
      expiresAt: Date.parse(o.expires_at),
    }));
  }

  get enabled(): boolean {
    return this.file !== null || this.yamlPools.length > 0;
  }

  /** The declaration now; `changed` is true when the file was (re)read or became unreadable this call. */
  load(): DeclaredState & { changed: boolean } {
    let changed = false;
    if (this.file) {
      let stamp: string;
      try {
        const st = statSync(this.file);
        stamp = `${st.mtimeMs}:${st.size}:${st.ino}`;
      } catch (e) {
        stamp = `error:${errorMessage(e)}`;
      }
      if (stamp !== this.stamp) {
        changed = true;
        this.stamp = stamp;
        try {
          const parsed = parseHaproxyConfig(readFileSync(this.file, 'utf8'), this.file);
          this.filePools = parsed.pools;
          this.fileProblems = parsed.problems;
        } catch (e) {
          // Keep the last good pools: a file mid-rewrite must not read as "nothing declared".
          this.fileProblems = [{ at: { file: this.file, line: 0 }, message: `cannot read the declared HAProxy config: ${errorMessage(e)}` }];
        }
      }
    }
    const pools = new Map<string, DeclaredPool>();
    for (const p of this.filePools) pools.set(p.pool, p);
    for (const p of this.yamlPools) pools.set(p.pool, p); // an explicit map wins over the file
    return { pools, overrides: this.overrides, problems: this.fileProblems, changed };
  }
}
