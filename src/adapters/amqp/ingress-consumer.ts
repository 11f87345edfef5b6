import { Logger } from '@nestjs/common';
import { settleWithin } from '../../modules/shared/wait';
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import type { PackageKind } from '../../modules/edoc/inspection/inspection';
import type { Clock } from '../../modules/shared/clock';
import type { SubmitPackage } from '../../modules/routing/use-cases/submit-package/submit-package.use-case';
import { isTransientInfrastructureError } from '../postgres/transient-errors';
import type { AmqpConnection } from './amqp-connection';
import { INGRESS_QUEUE } from './amqp-names';
import { declareBusTopology, type TopologyLimits } from './topology';

const RETRY_DELAYS_MS = [200, 500, 1000, 2000, 5000];

/**
 * Driving adapter: turns each message on `edoc.ingress` into a SubmitPackage command and acks it
 * once the outcome is durable (accepted or quarantined). Nothing else happens here.
 *
 * - The sender is the broker-validated `user_id` (RabbitMQ refuses a user_id that is not the
 *   connection's user), never anything inside the package.
 * - Database down: the message is held and retried in place (not nacked, so it cannot burn its
 *   delivery limit and be dead-lettered while the bus is merely waiting).
 * - A defect (unexpected exception): nacked for redelivery; the queue's delivery limit sends it
 *   to `edoc.dead-letter` after repeated failures, so it cannot loop forever.
 */
export class IngressConsumer {
  private readonly logger = new Logger('ingress');
  private channel: Channel | null = null;
  private consumerTag: string | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  private stopping = false;
  handled = 0;

  constructor(
    private readonly connection: AmqpConnection,
    private readonly submitPackage: SubmitPackage,
    private readonly clock: Clock,
    private readonly settings: TopologyLimits & { prefetch: number },
  ) {}

  async start(): Promise<void> {
    await this.connection.onConnect((model) => this.consume(model));
  }

  get consuming(): boolean {
    return this.consumerTag !== null;
  }

  /** Stops taking messages, lets the ones in hand finish (bounded), then closes the channel. */
  async stop(timeoutMs = 10_000): Promise<void> {
    this.stopping = true;
    const channel = this.channel;
    if (channel && this.consumerTag) await channel.cancel(this.consumerTag).catch(() => undefined);
    this.consumerTag = null;
    await settleWithin(this.inFlight, timeoutMs);
    this.channel = null;
    await channel?.close().catch(() => undefined);
  }

  private async consume(model: ChannelModel): Promise<void> {
    if (this.stopping) return;
    const channel = await model.createChannel();
    await declareBusTopology(channel, this.settings);
    await channel.prefetch(this.settings.prefetch);
    channel.on('error', (err: Error) => this.logger.warn(`channel error: ${err.message}`));
    channel.on('close', () => {
      if (this.channel !== channel) return;
      this.channel = null;
      this.consumerTag = null;
      if (!this.stopping) void this.connection.reset('ingress channel closed');
    });
    this.channel = channel;
    const { consumerTag } = await channel.consume(INGRESS_QUEUE, (msg) => {
      if (msg === null) {
        // The broker cancelled us (queue deleted or moved): reconnect and declare again.
        void this.connection.reset('ingress consumer cancelled by the broker');
        return;
      }
      const work = this.handle(channel, msg);
      this.inFlight.add(work);
      void work.finally(() => this.inFlight.delete(work));
    });
    this.consumerTag = consumerTag;
  }

  private async handle(channel: Channel, msg: ConsumeMessage): Promise<void> {
    const p = msg.properties;
    const command = {
      transport: 'amqp' as const,
      authenticatedSender: typeof p.userId === 'string' && p.userId !== '' ? p.userId : null,
      declaredKind: kindOf(p.type),
      transportMessageId:
        typeof p.messageId === 'string' && p.messageId !== '' ? p.messageId.slice(0, 200) : null,
      possiblyRedelivered: msg.fields.redelivered,
      body: msg.content,
      receivedAt: this.clock.now(),
    };
    for (let attempt = 0; ; attempt++) {
      try {
        await this.submitPackage.execute(command);
        this.handled++;
        if (this.channel === channel) channel.ack(msg);
        return;
      } catch (error) {
        if (this.channel !== channel) return; // channel gone: the broker will redeliver it
        if (isTransientInfrastructureError(error) && !this.stopping) {
          const delay = RETRY_DELAYS_MS[Math.min(attempt, RETRY_DELAYS_MS.length - 1)]!;
          if (attempt === 0 || attempt % 10 === 0)
            this.logger.warn(`dependency unavailable (${describe(error)}); retrying in ${delay} ms`);
          command.possiblyRedelivered = true;
          await new Promise((r) => setTimeout(r, delay));
          continue;
        }
        this.logger.error(
          `failed to process message ${command.transportMessageId ?? '(no id)'}: ${describe(error)}`,
        );
        channel.nack(msg, false, true);
        return;
      }
    }
  }
}

function kindOf(type: unknown): PackageKind | null {
  return type === 'edoc' || type === 'status' ? type : null;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
