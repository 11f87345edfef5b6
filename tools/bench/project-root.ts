import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The checkout the tools run in: the first folder above this file with a package.json. The tools
 * run compiled from dist-tools/tools/bench or from their sources; the bus they drive is the
 * production build in dist/.
 */
export const PROJECT_ROOT = ((): string => {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'tools'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no project root above ${__dirname}`);
  }
})();
