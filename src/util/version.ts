// The build's identity: the version, read once from package.json (the one
// place it is written; it ships next to dist/), the Node version, and the
// source revision when the build knows it (SKEWWATCH_REVISION, set by the
// image build; "unknown" otherwise). build_info and logs use it.
import { readFileSync } from 'node:fs';

let cached: string | null = null;

export function packageVersion(): string {
  if (cached === null) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
      cached = typeof pkg.version === 'string' ? pkg.version : '0.0.0';
    } catch {
      cached = '0.0.0';
    }
  }
  return cached;
}

export interface BuildInfo {
  readonly version: string;
  readonly revision: string;
  readonly nodeVersion: string;
}

export function buildInfo(env: NodeJS.ProcessEnv = process.env): BuildInfo {
  return { version: packageVersion(), revision: env.SKEWWATCH_REVISION || 'unknown', nodeVersion: process.versions.node };
}
