import type { Provider } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { BridgeCredentials } from '../../modules/registry/bridge-credentials.port';
import { PgBridgeCredentials } from '../postgres/pg-bridge-credentials.repository';
import { SecretBox } from '../postgres/secret-box';
import { BrokerAccessProvisioner } from '../../modules/registry/broker-access.port';
import { Directory, DIRECTORY_TTL_MS } from '../../modules/registry/directory';
import { EndpointRepository } from '../../modules/registry/endpoint-repository.port';
import { AddAlias } from '../../modules/registry/use-cases/add-alias.use-case';
import { AddEndpoint } from '../../modules/registry/use-cases/add-endpoint.use-case';
import { ChangeBridgeAuthentication } from '../../modules/registry/use-cases/change-bridge-authentication.use-case';
import { ChangeEndpointStatus } from '../../modules/registry/use-cases/change-endpoint-status.use-case';
import { ChangeEndpointTransport } from '../../modules/registry/use-cases/change-endpoint-transport.use-case';
import { ChangeSignaturePolicy } from '../../modules/registry/use-cases/change-signature-policy.use-case';
import { ListEndpoints } from '../../modules/registry/use-cases/list-endpoints.use-case';
import { ProvisionEndpoints } from '../../modules/registry/use-cases/provision-endpoints.use-case';
import { SeedEndpoints } from '../../modules/registry/use-cases/seed-endpoints.use-case';
import { vhostOf } from '../amqp/admin/management-client';
import { RabbitBrokerAccess } from '../amqp/admin/rabbit-broker-access';
import type { BusConfig } from '../config/bus-config';
import { PgEndpointRepository } from '../postgres/pg-endpoint.repository';
import { PgQueuedMail } from '../postgres/pg-queued-mail.repository';
import { QueuedMail } from '../../modules/registry/queued-mail.port';
import type { Transport } from '../../modules/registry/domain/endpoint';
import { AmqpRuntime } from './amqp-runtime';

/**
 * Waiting mail moves with its endpoint: the database's part (outbox rows, pull items), then, for an
 * endpoint that moved to the bridges, what its broker inbox holds — into its pull inbox.
 */
class MovingQueuedMail extends QueuedMail {
  constructor(
    private readonly stored: PgQueuedMail,
    private readonly amqp: AmqpRuntime,
  ) {
    super();
  }

  async rehome(organId: string, transport: Transport): Promise<number> {
    const moved = await this.stored.rehome(organId, transport);
    if (transport !== 'bridge') return moved;
    return moved + (await this.amqp.drainInbox(organId, (mail) => this.stored.keepInPullInbox(mail)));
  }
}

/** modules/registry: endpoints, aliases and their changes; broker users through the management API; bridge credentials. */
export function registryProviders(config: BusConfig): Provider[] {
  let box: SecretBox | null = null;
  // Opened on first use: an admin command that never touches a bridge secret needs no key file.
  const secretBox = () => (box ??= SecretBox.fromKeyFile(config.bridge.secretsKeyFile));
  return [
    {
      provide: BridgeCredentials,
      useFactory: (db: DataSource) => new PgBridgeCredentials(db, secretBox),
      inject: [DataSource],
    },
    { provide: DIRECTORY_TTL_MS, useValue: config.directoryTtlMs },
    { provide: EndpointRepository, useClass: PgEndpointRepository },
    {
      provide: QueuedMail,
      useFactory: (db: DataSource, amqp: AmqpRuntime) => new MovingQueuedMail(new PgQueuedMail(db), amqp),
      inject: [DataSource, AmqpRuntime],
    },
    {
      provide: BrokerAccessProvisioner,
      useFactory: (amqp: AmqpRuntime) =>
        new RabbitBrokerAccess(amqp.management, vhostOf(config.amqpUrl), amqp.identities.users, (organId) =>
          amqp.declareInbox(organId),
        ),
      inject: [AmqpRuntime],
    },
    Directory,
    SeedEndpoints,
    AddEndpoint,
    ChangeEndpointStatus,
    ChangeEndpointTransport,
    ListEndpoints,
    AddAlias,
    ProvisionEndpoints,
    ChangeSignaturePolicy,
    ChangeBridgeAuthentication,
  ];
}
