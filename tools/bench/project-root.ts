import { dirname } from 'node:path';
import { projectPath } from '../../src/modules/shared/resources';

/**
 * The checkout the tools run in, whether compiled (dist-tools/tools/bench) or from their sources;
 * the bus they drive is the production build in dist/.
 */
export const PROJECT_ROOT = dirname(projectPath('tools'));
