import { Injectable } from '@nestjs/common';
import { Clock } from '../../shared/clock';
import { DomainRuleError } from '../../shared/errors';
import { BridgeCredentials, type IssuedBridgeCredentials } from '../bridge-credentials.port';
import { BrokerAccessProvisioner, type BrokerCredentials } from '../broker-access.port';
import { canonicalOrganCode } from '../domain/organ-code';
import { EndpointRepository } from '../endpoint-repository.port';
import { certificateFacts, derFromPem } from '../../trust/pki/certificate-facts';

export type ProvisionedCredentials =
  ({ transport: 'amqp' } & BrokerCredentials) | ({ transport: 'bridge' } & IssuedBridgeCredentials);

export interface ProvisionEndpointsCommand {
  /** Organ codes to provision; empty means every endpoint that is not closed. */
  codes: string[];
  actor: string;
  /**
   * AMQP endpoints that log in by their organ's certificate (EXTERNAL), with that certificate
   * (PEM) by organ code; the others get a password user.
   */
  certificates?: ReadonlyMap<string, string>;
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
    for (const [organ, pem] of command.certificates ?? []) {
      const [der] = derFromPem(pem);
      const named = der ? certificateFacts(der).organId : null;
      if (named !== organ)
        throw new DomainRuleError(
          'certificate-organ',
          `the certificate given for ${organ} belongs to ${named ?? 'no organ'}: a broker login is bound to its own organ's certificate`,
        );
    }
    const missing = command.certificates
      ? targets.filter((e) => e.transport === 'amqp' && !command.certificates!.has(e.organId))
      : [];
    if (missing.length > 0)
      throw new DomainRuleError(
        'certificate-missing',
        `a certificate login needs the organ's certificate: none for ${missing.map((e) => e.organId).join(', ')}`,
      );
    const credentials: ProvisionedCredentials[] = [];
    for (const endpoint of targets) {
      const at = this.clock.now();
      const issued: ProvisionedCredentials =
        endpoint.transport === 'bridge'
          ? { transport: 'bridge', ...(await this.bridgeCredentials.issue(endpoint.organId, at)) }
          : {
              transport: 'amqp',
              ...(await this.provisioner.provision(
                endpoint.organId,
                command.certificates?.get(endpoint.organId),
              )),
            };
      const principal = issued.transport === 'amqp' ? issued.username : issued.systemId;
      await this.repository.markProvisioned(endpoint.organId, principal, {
        organId: endpoint.organId,
        action: 'provision',
        actor: command.actor,
        reason:
          issued.transport === 'amqp'
            ? issued.auth === 'cert'
              ? 'broker login by certificate (EXTERNAL)'
              : 'broker login by password'
            : 'bridge secret and token',
        at,
      });
      credentials.push(issued);
    }
    return credentials;
  }
}
