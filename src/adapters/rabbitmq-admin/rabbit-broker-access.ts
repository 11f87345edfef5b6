import { randomBytes } from 'node:crypto';
import { BrokerAccessProvisioner, type BrokerCredentials } from '../../modules/registry/broker-access.port';
import { escapeRegex, inboxQueue, SUBMIT_EXCHANGE, type BrokerUserNames } from '../amqp/amqp-names';
import type { RabbitManagementClient } from './management-client';

/**
 * Gives an endpoint its broker user: named by its organ code (after BROKER_USER_PREFIX), a fresh random password, permission
 * to publish to `edoc.submit` only and to consume its own inbox (both lanes) only. No configure rights, so it
 * cannot declare, bind or delete anything. The inbox itself is declared by the bus.
 */
export class RabbitBrokerAccess extends BrokerAccessProvisioner {
  constructor(
    private readonly management: RabbitManagementClient,
    private readonly vhost: string,
    private readonly users: BrokerUserNames,
    private readonly declareInbox: (organId: string) => Promise<void>,
  ) {
    super();
  }

  async provision(organId: string): Promise<BrokerCredentials> {
    const password = randomBytes(24).toString('base64url');
    const inbox = inboxQueue(organId);
    await this.declareInbox(organId);
    const username = this.users.userFor(organId);
    await this.management.putUser(username, password);
    await this.management.putPermissions(this.vhost, username, {
      configure: '^$',
      write: `^${escapeRegex(SUBMIT_EXCHANGE)}$`,
      read: `^${escapeRegex(inbox)}(\\.urgent)?$`,
    });
    return { organId, username, password, inboxQueue: inbox, submitExchange: SUBMIT_EXCHANGE };
  }

  async revoke(organId: string): Promise<void> {
    await this.management.deleteUser(this.users.userFor(organId));
  }
}
