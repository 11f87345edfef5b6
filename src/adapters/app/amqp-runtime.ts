import { Logger } from '@nestjs/common';
import type { ChannelModel } from 'amqplib';
import type { Clock } from '../../modules/shared/clock';
import { InfrastructureUnavailableError } from '../../modules/shared/errors';
import type { RecordDeadLetter } from '../../modules/dead-letters/use-cases/record-dead-letter.use-case';
import { amqpNodesOf, redactUrls, type BusConfig } from '../config/bus-config';
import { AmqpConnection } from '../amqp/amqp-connection';
import {
  BrokerUserNames,
  DEAD_LETTER_QUEUE,
  INBOX_PREFIX,
  INGRESS_QUEUE,
  INGRESS_URGENT_QUEUE,
} from '../amqp/amqp-names';
import { ConfirmPublisher } from '../amqp/confirm-publisher';
import {
  AmqpDeadLetterRepublisher,
  deadLetterFromMessage,
  DeadLetterPublisher,
  type BrokerIdentities,
} from '../amqp/dead-letters';
import { IngressHandler, type IngressUseCases } from '../amqp/ingress-handler';
import { OutboxRelay } from '../amqp/outbox-relay';
import { QueueConsumer } from '../amqp/queue-consumer';
import { declareBusTopology, declareInbox } from '../amqp/topology';
import { drainInbox } from '../amqp/inbox-drain';
import type { OutboxRecord } from '../../modules/delivery/delivery-records';
import type { OutboxStore } from '../../modules/delivery/outbox-store.port';
import { isTransientInfrastructureError } from '../postgres/transient-errors';
import { RabbitManagementClient, vhostOf } from '../amqp/admin/management-client';

export interface AmqpRoles {
  /** Consume `edoc.ingress` and `edoc.dead-letter` (a serving bus); admin commands only publish. */
  ingress: boolean;
}

export interface ConsumingUseCases extends IngressUseCases {
  recordDeadLetter: RecordDeadLetter;
  /** Endpoints that read a broker inbox: declared at start so that the first burst does not wait. */
  brokerEndpoints(): Promise<string[]>;
}

/** The broker user the bus connects as: messages it publishes carry it as `user_id`. */
export function busUserOf(amqpUrl: string): string {
  try {
    return decodeURIComponent(new URL(amqpUrl).username) || 'guest';
  } catch {
    return 'guest';
  }
}

/**
 * The bus's life on the broker: a publishing connection (outbox relay, inbox declarations, dead
 * letters) and, when serving, a consuming connection (both ingress lanes and the dead-letter
 * queue). Started after the database is ready; stopped consumer-first so in-flight packages finish
 * and their outbox rows are published.
 */
export class AmqpRuntime {
  private readonly logger = new Logger('amqp');
  readonly publisherConnection: AmqpConnection;
  readonly consumerConnection: AmqpConnection;
  readonly publisher: ConfirmPublisher;
  readonly relay: OutboxRelay;
  readonly management: RabbitManagementClient;
  readonly busUser: string;
  readonly identities: BrokerIdentities;
  readonly republisher: AmqpDeadLetterRepublisher;
  private consumers: QueueConsumer[] = [];
  private started = false;

  constructor(
    private readonly config: BusConfig,
    store: OutboxStore,
    private readonly roles: AmqpRoles,
    observePublish?: (seconds: number) => void,
  ) {
    this.publisherConnection = new AmqpConnection(
      amqpNodesOf(config),
      `${config.instanceName}/publish`,
      config.amqpTls,
    );
    this.consumerConnection = new AmqpConnection(
      amqpNodesOf(config),
      `${config.instanceName}/consume`,
      config.amqpTls,
    );
    this.publisher = new ConfirmPublisher(this.publisherConnection);
    this.relay = new OutboxRelay(this.publisherConnection, this.publisher, store, {
      leaseSeconds: config.outboxLeaseSeconds,
      sweepIntervalMs: config.outboxSweepIntervalMs,
      sweepBatch: 200,
      ingressDeliveryLimit: config.ingressDeliveryLimit,
      inboxDeliveryLimit: config.inboxDeliveryLimit,
      quorumInitialGroupSize: config.quorumInitialGroupSize,
      breaker: config.breaker,
      observePublish,
    });
    this.management = new RabbitManagementClient(config.managementUrl);
    this.busUser = busUserOf(config.amqpUrl);
    this.identities = { busUser: this.busUser, users: new BrokerUserNames(config.brokerUserPrefix) };
    this.republisher = new AmqpDeadLetterRepublisher(this.publisher, this.busUser);
  }

  /** Consumers in hand (tests and metrics read their counters). */
  get queueConsumers(): readonly QueueConsumer[] {
    return this.consumers;
  }

  async start(useCases: ConsumingUseCases, clock: Clock): Promise<void> {
    await this.spreadQueueLeaders();
    await this.publisher.init();
    await this.publisherConnection.onConnect((model) => declareBusTopology(model, this.config));
    await this.connect(this.publisherConnection);
    await this.relay.start();
    if (this.roles.ingress) {
      void useCases
        .brokerEndpoints()
        .then((organs) => this.relay.prewarm(organs))
        .catch((error: unknown) => this.logger.warn(`inbox pre-declaration: ${String(error)}`));
      this.consumers = this.createConsumers(useCases, clock);
      for (const consumer of this.consumers) await consumer.start();
      await this.connect(this.consumerConnection);
    }
    this.started = true;
  }

  private createConsumers(useCases: ConsumingUseCases, clock: Clock): QueueConsumer[] {
    const ingress = new IngressHandler(useCases, this.relay, clock, this.identities);
    const deadLetters = new DeadLetterPublisher(this.publisher, this.identities);
    const defects = {
      kind: 'dead-letter' as const,
      deliveryLimit: this.config.ingressDeliveryLimit,
      deadLetter: (msg: Parameters<DeadLetterPublisher['publish']>[0], queue: string, reason: string) =>
        deadLetters.publish(msg, queue, reason),
    };
    const setup = (model: ChannelModel) => declareBusTopology(model, this.config);
    const lane = (queue: string) =>
      new QueueConsumer(this.consumerConnection, ingress.handle, {
        queue,
        prefetch: this.config.ingressPrefetch,
        defects,
        isOutage: isTransientInfrastructureError,
        setup,
      });
    const deadLetterStore = new QueueConsumer(
      this.consumerConnection,
      async (msg) => {
        await useCases.recordDeadLetter.execute(
          deadLetterFromMessage(msg, this.identities, clock.now(), (queue) => this.deliveryLimitOf(queue)),
        );
      },
      {
        queue: DEAD_LETTER_QUEUE,
        prefetch: 16,
        defects: { kind: 'requeue-after', delayMs: 5000 },
        isOutage: isTransientInfrastructureError,
        setup,
      },
    );
    // The urgent lane first: after a restart its backlog is taken before the ordinary one.
    return [lane(INGRESS_URGENT_QUEUE), lane(INGRESS_QUEUE), deadLetterStore];
  }

  /** The delivery limit the bus declares a queue with (null: not one of the bus's queues). */
  private deliveryLimitOf(queue: string): number | null {
    if (queue === INGRESS_QUEUE || queue === INGRESS_URGENT_QUEUE) return this.config.ingressDeliveryLimit;
    return queue.startsWith(INBOX_PREFIX) ? this.config.inboxDeliveryLimit : null;
  }

  /**
   * RabbitMQ puts a new quorum queue's leader on the node its declarer is connected to, so every
   * queue the bus declares would lead on one node of a cluster, and that node's loss would move all
   * leaders at once. A policy of the lowest priority (an operator's own policies win) asks for
   * balanced placement instead. On one node it changes nothing; without the management API the
   * bus still starts, with a warning.
   */
  private async spreadQueueLeaders(): Promise<void> {
    await this.management
      .putPolicy(
        vhostOf(this.config.amqpUrl),
        'edoc-bus-leaders',
        '^edoc\\.',
        { 'queue-leader-locator': 'balanced' },
        0,
      )
      .catch((error: unknown) =>
        this.logger.warn(
          `could not ask for balanced queue leaders: ${error instanceof Error ? error.message : String(error)}`,
        ),
      );
  }

  /**
   * Empties an endpoint's broker inbox into `keep` (an endpoint moved to the bridges): see
   * drainInbox. Returns how many messages left the queue.
   */
  async drainInbox(organId: string, keep: (mail: OutboxRecord[]) => Promise<void>): Promise<number> {
    let drained = 0;
    await this.withModel(async (model) => {
      drained = await drainInbox(model, organId, keep);
    });
    return drained;
  }

  /** Declares an endpoint's inbox queue (used when provisioning). */
  async declareInbox(organId: string): Promise<void> {
    await this.withModel((model) => declareInbox(model, organId, this.config));
  }

  async inboxDepths(): Promise<Array<{ endpoint: string; lane: 'normal' | 'urgent'; messages: number }>> {
    const queues = await this.management.queueDepths(vhostOf(this.config.amqpUrl), INBOX_PREFIX);
    return queues.map((q) => {
      const name = q.name.slice(INBOX_PREFIX.length);
      const urgent = name.endsWith('.urgent');
      return {
        endpoint: urgent ? name.slice(0, -'.urgent'.length) : name,
        lane: urgent ? 'urgent' : 'normal',
        messages: q.messages,
      };
    });
  }

  /** The broker as monitoring sees it: nodes up or down, each quorum queue's leader and members. */
  async clusterHealth(): Promise<{
    nodes: Array<{ name: string; running: boolean }>;
    queues: Array<{ name: string; leader: string | null; members: string[]; online: string[] }>;
  }> {
    const [nodes, queues] = await Promise.all([
      this.management.nodes(),
      this.management.quorumQueues(vhostOf(this.config.amqpUrl)),
    ]);
    return { nodes, queues };
  }

  health(): Record<string, string> {
    const checks: Record<string, string> = {
      broker:
        this.publisherConnection.connected && this.publisher.ready
          ? 'up'
          : 'down: publishing connection lost',
    };
    if (this.roles.ingress) {
      const idle = this.consumers.filter((c) => !c.consuming);
      checks.ingress =
        this.consumerConnection.connected && this.consumers.length > 0 && idle.length === 0
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
    await Promise.all(this.consumers.map((c) => c.stop()));
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
      throw new InfrastructureUnavailableError(
        'rabbitmq',
        rabbitHelp(amqpNodesOf(this.config).join(','), error),
        {
          cause: error,
        },
      );
    }
  }

  private async withModel(fn: (model: ChannelModel) => Promise<void>): Promise<void> {
    let ran = false;
    await this.publisherConnection.onConnectOnce(async (model) => {
      await fn(model);
      ran = true;
    });
    if (!ran) throw new InfrastructureUnavailableError('rabbitmq', 'not connected to the broker');
  }
}

export function rabbitHelp(url: string, error: unknown): string {
  const reason = error instanceof Error ? error.message : String(error);
  return [
    `RabbitMQ is not reachable at ${redactUrls(url)} (${reason}).`,
    'Start it with:  rabbitmq-server -detached',
    'or, with Docker: docker compose -f docker/compose.yml up -d rabbitmq',
    'or point AMQP_URL at a running broker (or at the nodes of a cluster, comma-separated).',
  ].join('\n');
}
