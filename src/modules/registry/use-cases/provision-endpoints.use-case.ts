import { Injectable } from '@nestjs/common';
import { Clock } from '../../shared/clock';
import { DomainRuleError } from '../../shared/errors';
import { BridgeCredentials, type IssuedBridgeCredentials } from '../../bridge/bridge-credentials.port';
import { BrokerAccessProvisioner, type BrokerCredentials } from '../broker-access.port';
import { canonicalOrganCode } from '../domain/organ-code';
import { EndpointRepository } from '../endpoint.repository';

export type ProvisionedCredentials =
  ({ transport: 'amqp' } & BrokerCredentials) | ({ transport: 'bridge' } & IssuedBridgeCredentials);

export interface ProvisionEndpointsCommand {
  /** Organ codes to provision; empty means every endpoint that is not closed. */
  codes: string[];
  actor: string;
}

/**
 * Gives endpoints their identity. AMQP endpoints: a broker user named by the organ code, allowed
 * to publish to the submission exchange and read its own inbox only. Bridge endpoints: the axis
 * SDK's system id and HMAC secret (SOAP password too) and a REST bearer token. Running it again
 * rotates them.
 */
@Injectable()
export class ProvisionEndpoints {
  constructor(
    private readonly repository: EndpointRepository,
    private readonly provisioner: BrokerAccessProvisioner,
    private readonly bridgeCredentials: BridgeCredentials,
    private readonly clock: Clock,
  ) {}

  async execute(command: ProvisionEndpointsCommand): Promise<ProvisionedCredentials[]> {
    const all = await this.repository.findAll();
    let targets = all.filter((e) => e.status !== 'closed');
    if (command.codes.length > 0) {
      const wanted = command.codes.map((c) => canonicalOrganCode(c) ?? c);
      const byId = new Map(all.map((e) => [e.organId, e]));
      const unknown = wanted.filter((c) => !byId.has(c));
      if (unknown.length > 0)
        throw new DomainRuleError('endpoint-unknown', `No endpoint ${unknown.join(', ')}`);
      targets = wanted.map((c) => byId.get(c)!);
    }
    const credentials: ProvisionedCredentials[] = [];
    for (const endpoint of targets) {
      const at = this.clock.now();
      const issued: ProvisionedCredentials =
        endpoint.transport === 'bridge'
          ? { transport: 'bridge', ...(await this.bridgeCredentials.issue(endpoint.organId, at)) }
          : { transport: 'amqp', ...(await this.provisioner.provision(endpoint.organId)) };
      const principal = issued.transport === 'amqp' ? issued.username : issued.systemId;
      await this.repository.markProvisioned(endpoint.organId, principal, {
        organId: endpoint.organId,
        action: 'provision',
        actor: command.actor,
        reason: null,
        at,
      });
      credentials.push(issued);
    }
    return credentials;
  }
}
