import { Injectable } from '@nestjs/common';
import type { Endpoint, OrganAlias } from '../domain/endpoint';
import { EndpointRepository } from '../endpoint-repository.port';

export interface EndpointListing {
  endpoints: Endpoint[];
  aliases: OrganAlias[];
}

@Injectable()
export class ListEndpoints {
  constructor(private readonly repository: EndpointRepository) {}

  async execute(): Promise<EndpointListing> {
    const [endpoints, aliases] = await Promise.all([
      this.repository.findAll(),
      this.repository.findAllAliases(),
    ]);
    return { endpoints, aliases };
  }
}
