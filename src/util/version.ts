// The one place the version comes from: package.json, found relative to this
// module (src/util/ and dist/util/ are both two levels below the package root,
// and npm always ships package.json).
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PACKAGE_JSON = resolve(dirname(fileURLToPath(import.meta.url)), '../../package.json');

let cached: string | undefined;

export function packageVersion(): string {
  if (cached === undefined) {
    const pkg = JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')) as { version?: unknown };
    cached = typeof pkg.version === 'string' ? pkg.version : 'unknown';
  }
  return cached;
}
