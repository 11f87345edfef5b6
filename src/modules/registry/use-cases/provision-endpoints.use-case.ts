import { Injectable } from '@nestjs/common';
import { Clock } from '../../shared/clock';
import { DomainRuleError } from '../../shared/errors';
import { BrokerAccessProvisioner, type BrokerCredentials } from '../broker-access.port';
import { canonicalOrganCode } from '../domain/organ-code';
import { EndpointRepository } from '../endpoint.repository';

export interface ProvisionEndpointsCommand {
  /** Organ codes to provision; empty means every active AMQP endpoint. */
  codes: string[];
  actor: string;
}

/**
 * Gives endpoints their broker identity (a user named by the organ code, write access to the
 * submission exchange, read access to its own inbox only). Running it again rotates the password.
 */
@Injectable()
export class ProvisionEndpoints {
  constructor(
    private readonly repository: EndpointRepository,
    private readonly provisioner: BrokerAccessProvisioner,
    private readonly clock: Clock,
  ) {}

  async execute(command: ProvisionEndpointsCommand): Promise<BrokerCredentials[]> {
    const all = await this.repository.findAll();
    let targets = all.filter((e) => e.transport === 'amqp' && e.status !== 'closed');
    if (command.codes.length > 0) {
      const wanted = command.codes.map((c) => canonicalOrganCode(c) ?? c);
      const byId = new Map(all.map((e) => [e.organId, e]));
      const unknown = wanted.filter((c) => !byId.has(c));
      if (unknown.length > 0)
        throw new DomainRuleError('endpoint-unknown', `No endpoint ${unknown.join(', ')}`);
      targets = wanted.map((c) => byId.get(c)!);
    }
    const credentials: BrokerCredentials[] = [];
    for (const endpoint of targets) {
      const issued = await this.provisioner.provision(endpoint.organId);
      await this.repository.markProvisioned(endpoint.organId, issued.username, {
        organId: endpoint.organId,
        action: 'provision',
        actor: command.actor,
        reason: null,
        at: this.clock.now(),
      });
      credentials.push(issued);
    }
    return credentials;
  }
}
