import { Injectable } from '@nestjs/common';
import { Directory } from '../directory';
import type { Endpoint } from '../domain/endpoint';
import { categoryOf, qcvn102ToQd20 } from '../domain/organ-code';
import { EndpointRepository } from '../endpoint-repository.port';
import { SEED_ALIASES_2025 } from '../seed/aliases-2025';
import { SEED_ENDPOINTS_2019 } from '../seed/endpoints-2019';

export interface SeedResult {
  endpointsInserted: number;
  aliasesInserted: number;
  endpointsTotal: number;
}

/**
 * Loads the 95 endpoints of 2019 and the 2025 merger aliases. Idempotent and never overwrites:
 * an endpoint an operator has locked, renamed or moved to the bridge stays as the operator left it.
 */
@Injectable()
export class SeedEndpoints {
  constructor(
    private readonly repository: EndpointRepository,
    private readonly directory: Directory,
  ) {}

  async execute(): Promise<SeedResult> {
    const endpoints: Endpoint[] = SEED_ENDPOINTS_2019.map((seed) => ({
      organId: seed.organId,
      codeQd20: qcvn102ToQd20(seed.organId),
      name: seed.name,
      category: categoryOf(seed.organId),
      transport: seed.transport,
      status: 'active',
      statusReason: null,
      signaturePolicy: 'strict',
      bridgeAuth: 'hmac',
    }));
    const endpointsInserted = await this.repository.insertMissing(endpoints);
    const aliasesInserted = await this.repository.insertMissingAliases([...SEED_ALIASES_2025]);
    this.directory.invalidate();
    const endpointsTotal = (await this.repository.findAll()).length;
    return { endpointsInserted, aliasesInserted, endpointsTotal };
  }
}
