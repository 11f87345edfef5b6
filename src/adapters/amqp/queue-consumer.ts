import { Logger } from '@nestjs/common';
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import { settleWithin } from '../../modules/shared/wait';
import type { AmqpConnection } from './amqp-connection';
import { PublishError } from './confirm-publisher';

const RETRY_DELAYS_MS = [200, 500, 1000, 2000, 5000];

export type MessageHandler = (msg: ConsumeMessage, context: { queue: string }) => Promise<void>;

/** What to do with a message whose handler keeps failing for a reason other than an outage. */
export type DefectPolicy =
  /** Requeue until the last allowed attempt, then hand it to `deadLetter` and acknowledge it. */
  | {
      kind: 'dead-letter';
      deliveryLimit: number;
      deadLetter: (msg: ConsumeMessage, queue: string, reason: string) => Promise<void>;
    }
  /** Requeue after a pause, forever (the dead-letter queue itself: there is nowhere further). */
  | { kind: 'requeue-after'; delayMs: number };

export interface QueueConsumerSettings {
  queue: string;
  prefetch: number;
  defects: DefectPolicy;
  /**
   * Whether an error of the handler's dependencies means "down for now" (database restarting,
   * network blip): given by the wiring, which knows the drivers; a refused publish is one too.
   */
  isOutage: (error: unknown) => boolean;
  /** Runs on the connection before the consumer's channel opens (topology declarations). */
  setup?: (model: ChannelModel) => Promise<void>;
}

/**
 * Consumes one queue and acknowledges each message once its handler has returned (the outcome is
 * durable by then).
 *
 * - A dependency is down (database restarting, broker publish refused): the message is held and
 *   retried in place, not nacked, so it cannot burn its delivery limit while the bus merely waits.
 * - A defect (any other exception): requeued; at its last allowed attempt it goes to the dead
 *   letters with the error as the reason, so no message loops forever or is lost.
 */
export class QueueConsumer {
  private readonly logger: Logger;
  private channel: Channel | null = null;
  private consumerTag: string | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  private stopping = false;
  handled = 0;
  deadLettered = 0;

  constructor(
    private readonly connection: AmqpConnection,
    private readonly handler: MessageHandler,
    private readonly settings: QueueConsumerSettings,
  ) {
    this.logger = new Logger(`consumer:${settings.queue}`);
  }

  private isOutage(error: unknown): boolean {
    return this.settings.isOutage(error) || (error instanceof PublishError && error.retriable);
  }

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
    await this.settings.setup?.(model);
    const channel = await model.createChannel();
    await channel.prefetch(this.settings.prefetch);
    channel.on('error', (err: Error) => this.logger.warn(`channel error: ${err.message}`));
    channel.on('close', () => {
      if (this.channel !== channel) return;
      this.channel = null;
      this.consumerTag = null;
      if (!this.stopping) void this.connection.reset(`${this.settings.queue} channel closed`);
    });
    this.channel = channel;
    const { consumerTag } = await channel.consume(this.settings.queue, (msg) => {
      if (msg === null) {
        // The broker cancelled us (queue deleted or moved): reconnect and declare again.
        void this.connection.reset(`${this.settings.queue} consumer cancelled by the broker`);
        return;
      }
      const work = this.handle(channel, msg);
      this.inFlight.add(work);
      void work.finally(() => this.inFlight.delete(work));
    });
    this.consumerTag = consumerTag;
  }

  private async handle(channel: Channel, msg: ConsumeMessage): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.handler(msg, { queue: this.settings.queue });
        this.handled++;
        if (this.channel === channel) channel.ack(msg);
        return;
      } catch (error) {
        if (this.channel !== channel) return; // channel gone: the broker will redeliver it
        if (this.isOutage(error) && !this.stopping) {
          const delay = RETRY_DELAYS_MS[Math.min(attempt, RETRY_DELAYS_MS.length - 1)]!;
          if (attempt === 0 || attempt % 10 === 0)
            this.logger.warn(`dependency unavailable (${describe(error)}); retrying in ${delay} ms`);
          await new Promise((r) => setTimeout(r, delay));
          msg.fields.redelivered = true; // the handler may have got part way: let it check
          continue;
        }
        await this.onDefect(channel, msg, error);
        return;
      }
    }
  }

  private async onDefect(channel: Channel, msg: ConsumeMessage, error: unknown): Promise<void> {
    const id = String(msg.properties.messageId ?? '(no id)');
    const policy = this.settings.defects;
    if (policy.kind === 'requeue-after') {
      this.logger.error(`cannot process ${id}: ${describe(error)}; retrying in ${policy.delayMs} ms`);
      await new Promise((r) => setTimeout(r, policy.delayMs));
      if (this.channel === channel) channel.nack(msg, false, true);
      return;
    }
    const previous = deliveryCount(msg);
    if (previous + 1 < policy.deliveryLimit) {
      this.logger.error(
        `failed to process ${id} (attempt ${previous + 1} of ${policy.deliveryLimit}): ${describe(error)}`,
      );
      channel.nack(msg, false, true);
      return;
    }
    try {
      await policy.deadLetter(msg, this.settings.queue, describe(error));
      this.deadLettered++;
      this.logger.error(`${id} dead-lettered after ${previous + 1} attempts: ${describe(error)}`);
      if (this.channel === channel) channel.ack(msg);
    } catch (deadLetterError) {
      // The broker's own delivery limit dead-letters it next time: late, but not lost.
      this.logger.error(`could not dead-letter ${id}: ${describe(deadLetterError)}`);
      if (this.channel === channel) channel.nack(msg, false, true);
    }
  }
}

/** Quorum queues count earlier failed deliveries in `x-delivery-count`. */
function deliveryCount(msg: ConsumeMessage): number {
  const value: unknown = msg.properties.headers?.['x-delivery-count'];
  return typeof value === 'number' ? value : 0;
}

export function describe(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.slice(0, 2000);
}
