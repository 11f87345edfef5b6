import { Logger } from '@nestjs/common';
import type { Channel } from 'amqplib';
import type { Clock } from '../../modules/shared/clock';
import { InfrastructureUnavailableError } from '../../modules/shared/errors';
import type { SubmitPackage } from '../../modules/routing/use-cases/submit-package/submit-package.use-case';
import { redactUrl, type BusConfig } from '../config/bus-config';
import { AmqpConnection } from '../amqp/amqp-connection';
import { INBOX_PREFIX } from '../amqp/amqp-names';
import { ConfirmPublisher } from '../amqp/confirm-publisher';
import { IngressConsumer } from '../amqp/ingress-consumer';
import { OutboxRelay } from '../amqp/outbox-relay';
import { declareBusTopology, declareInbox } from '../amqp/topology';
import type { PgOutboxStore } from '../postgres/pg-outbox.store';
import { RabbitManagementClient, vhostOf } from '../rabbitmq-admin/management-client';

export interface AmqpRoles {
  /** Consume `edoc.ingress` (a serving bus); admin commands only publish. */
  ingress: boolean;
}

/**
 * The bus's life on the broker: a publishing connection (outbox relay, inbox declarations) and,
 * when serving, a consuming connection (ingress). Started after the database is ready; stopped
 * consumer-first so in-flight packages finish and their outbox rows are published.
 */
export class AmqpRuntime {
  private readonly logger = new Logger('amqp');
  readonly publisherConnection: AmqpConnection;
  readonly consumerConnection: AmqpConnection;
  readonly publisher: ConfirmPublisher;
  readonly relay: OutboxRelay;
  readonly management: RabbitManagementClient;
  private consumer: IngressConsumer | null = null;
  private started = false;

  constructor(
    private readonly config: BusConfig,
    store: PgOutboxStore,
    private readonly roles: AmqpRoles,
  ) {
    this.publisherConnection = new AmqpConnection(config.amqpUrl, `${config.instanceName}/publish`);
    this.consumerConnection = new AmqpConnection(config.amqpUrl, `${config.instanceName}/consume`);
    this.publisher = new ConfirmPublisher(this.publisherConnection);
    this.relay = new OutboxRelay(this.publisherConnection, this.publisher, store, {
      leaseSeconds: config.outboxLeaseSeconds,
      sweepIntervalMs: config.outboxSweepIntervalMs,
      sweepBatch: 200,
      ingressDeliveryLimit: config.ingressDeliveryLimit,
      inboxDeliveryLimit: config.inboxDeliveryLimit,
    });
    this.management = new RabbitManagementClient(config.managementUrl);
  }

  async start(submitPackage: SubmitPackage, clock: Clock): Promise<void> {
    await this.publisher.init();
    await this.publisherConnection.onConnect(async (model) => {
      const ch = await model.createChannel();
      try {
        await declareBusTopology(ch, this.config);
      } finally {
        await ch.close().catch(() => undefined);
      }
    });
    await this.connect(this.publisherConnection);
    await this.relay.start();
    if (this.roles.ingress) {
      this.consumer = new IngressConsumer(this.consumerConnection, submitPackage, clock, {
        ...this.config,
        prefetch: this.config.ingressPrefetch,
      });
      await this.consumer.start();
      await this.connect(this.consumerConnection);
    }
    this.started = true;
  }

  /** Declares an endpoint's inbox queue (used when provisioning). */
  async declareInbox(organId: string): Promise<void> {
    await this.withChannel((ch) => declareInbox(ch, organId, this.config));
  }

  async inboxDepths(): Promise<Array<{ endpoint: string; messages: number }>> {
    const queues = await this.management.queueDepths(vhostOf(this.config.amqpUrl), INBOX_PREFIX);
    return queues.map((q) => ({ endpoint: q.name.slice(INBOX_PREFIX.length), messages: q.messages }));
  }

  health(): Record<string, string> {
    const checks: Record<string, string> = {
      broker:
        this.publisherConnection.connected && this.publisher.ready
          ? 'up'
          : 'down: publishing connection lost',
    };
    if (this.roles.ingress) {
      checks.ingress =
        this.consumerConnection.connected && this.consumer?.consuming
          ? 'up'
          : 'down: not consuming edoc.ingress';
    }
    return checks;
  }

  async stop(): Promise<void> {
    if (!this.started) {
      await Promise.all([this.consumerConnection.close(), this.publisherConnection.close()]);
      return;
    }
    await this.consumer?.stop();
    await this.consumerConnection.close();
    await this.relay.stop();
    await this.publisher.close();
    await this.publisherConnection.close();
    this.logger.log('disconnected from the broker');
  }

  private async connect(connection: AmqpConnection): Promise<void> {
    try {
      await connection.start({ initialRetries: 2 });
    } catch (error) {
      throw new InfrastructureUnavailableError('rabbitmq', rabbitHelp(this.config.amqpUrl, error), {
        cause: error,
      });
    }
  }

  private async withChannel<T>(fn: (ch: Channel) => Promise<T>): Promise<T> {
    let result: T | undefined;
    let ran = false;
    await this.publisherConnection.onConnectOnce(async (model) => {
      const ch = await model.createChannel();
      try {
        result = await fn(ch);
        ran = true;
      } finally {
        await ch.close().catch(() => undefined);
      }
    });
    if (!ran) throw new InfrastructureUnavailableError('rabbitmq', 'not connected to the broker');
    return result as T;
  }
}

export function rabbitHelp(url: string, error: unknown): string {
  const reason = error instanceof Error ? error.message : String(error);
  return [
    `RabbitMQ is not reachable at ${redactUrl(url)} (${reason}).`,
    'Start it with:  rabbitmq-server -detached',
    'or, with Docker: docker compose -f docker/compose.yml up -d rabbitmq',
    'or point AMQP_URL at a running broker.',
  ].join('\n');
}
