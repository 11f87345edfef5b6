import { inMemoryCore } from '../../../../../test/in-memory/in-memory-core';
import { ENDPOINTS } from '../../../../../test/in-memory/packages';
import { routingRulesContract } from '../../../../../test/in-memory/routing-rules.contract';

routingRulesContract('in memory', async () => inMemoryCore(ENDPOINTS));
