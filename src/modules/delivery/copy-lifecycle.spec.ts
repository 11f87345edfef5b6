import { copyLifecycleContract } from '../../../test/in-memory/copy-lifecycle.contract';
import { inMemoryCore } from '../../../test/in-memory/in-memory-core';
import { ENDPOINTS } from '../../../test/in-memory/packages';

copyLifecycleContract('in memory', async () => inMemoryCore(ENDPOINTS));
