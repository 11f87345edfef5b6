import { Injectable } from '@nestjs/common';
import { ConsoleReadModel, type EndpointActivity } from '../console-read-model.port';
import { EndpointRepository } from '../../registry/endpoint-repository.port';
import type { Endpoint } from '../../registry/domain/endpoint';

/** An endpoint with what it has been doing lately. */
export type ConsoleEndpoint = Endpoint & Omit<EndpointActivity, 'organId'>;

/** The endpoints page: each endpoint with what it has been doing lately. */
@Injectable()
export class ListConsoleEndpoints {
  constructor(
    private readonly endpoints: EndpointRepository,
    private readonly read: ConsoleReadModel,
  ) {}

  async execute(): Promise<ConsoleEndpoint[]> {
    const [endpoints, activity] = await Promise.all([this.endpoints.findAll(), this.read.endpointActivity()]);
    const byOrgan = new Map(activity.map((a) => [a.organId, a]));
    return endpoints.map((e) => ({
      ...e,
      lastPackageAt: byOrgan.get(e.organId)?.lastPackageAt ?? null,
      waiting: byOrgan.get(e.organId)?.waiting ?? 0,
    }));
  }
}
