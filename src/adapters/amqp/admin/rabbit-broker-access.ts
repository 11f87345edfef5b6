import { randomBytes } from 'node:crypto';
import {
  BrokerAccessProvisioner,
  type BrokerCredentials,
} from '../../../modules/registry/broker-access.port';
import { escapeRegex, inboxQueue, SUBMIT_EXCHANGE, type BrokerUserNames } from '../amqp-names';
import { brokerUserOfCertificate } from '../certificate-user';
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

  async provision(organId: string, certificatePem?: string): Promise<BrokerCredentials> {
    const inbox = inboxQueue(organId);
    await this.declareInbox(organId);
    const password = certificatePem ? '' : randomBytes(24).toString('base64url');
    const username = certificatePem ? brokerUserOfCertificate(certificatePem) : this.users.userFor(organId);
    // One way in: provisioning one kind of user removes the other.
    await this.removeUsers(organId, username);
    if (certificatePem) await this.management.putUserWithoutPassword(username);
    else await this.management.putUser(username, password);
    await this.management.putPermissions(this.vhost, username, {
      configure: '^$',
      write: `^${escapeRegex(SUBMIT_EXCHANGE)}$`,
      read: `^${escapeRegex(inbox)}(\\.urgent)?$`,
    });
    return {
      organId,
      auth: certificatePem ? 'cert' : 'password',
      username,
      password,
      inboxQueue: inbox,
      submitExchange: SUBMIT_EXCHANGE,
    };
  }

  async revoke(organId: string): Promise<void> {
    await this.removeUsers(organId, null);
  }

  /** Deletes the organ's password user and its certificate users, but `keep`. */
  private async removeUsers(organId: string, keep: string | null): Promise<void> {
    const password = this.users.userFor(organId);
    if (password !== keep) await this.management.deleteUser(password);
    for (const user of await this.management.userNames()) {
      if (user !== keep && user.includes('=') && this.users.organOf(user) === organId)
        await this.management.deleteUser(user);
    }
  }
}
