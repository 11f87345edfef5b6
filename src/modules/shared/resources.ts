import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Finds a directory shipped with the project (schemas/, certs/) whether the code runs from
 * src/ (tests, ts) or dist/ (production), by walking up from this file.
 */
export function projectPath(...segments: string[]): string {
  let dir = __dirname;
  for (let i = 0; i < 8; i++) {
    const candidate = join(dir, ...segments);
    if (existsSync(join(dir, 'package.json')) && existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error(`Project resource not found: ${segments.join('/')} (searched upward from ${__dirname})`);
}
