import { Logger } from '@nestjs/common';
import type { ChannelModel, ConfirmChannel, Options } from 'amqplib';
import { bufferView } from '../../modules/shared/bytes';
import type { AmqpConnection } from './amqp-connection';

export class PublishError extends Error {
  constructor(
    message: string,
    readonly retriable: boolean,
  ) {
    super(message);
    this.name = 'PublishError';
  }
}

interface Pending {
  returnKey: string;
  resolve: () => void;
  reject: (error: Error) => void;
  returned: boolean;
  timer: NodeJS.Timeout;
}

/**
 * Publishes on a confirm channel and resolves only when the broker has taken responsibility for the
 * message (persisted to the queue). Unroutable messages (`mandatory` + basic.return) and nacks
 * reject; so does a missing confirm after `timeoutMs`. Honours the channel's back-pressure
 * (`publish() === false` → wait for `drain`).
 */
export class ConfirmPublisher {
  private readonly logger: Logger;
  private channel: ConfirmChannel | null = null;
  private readonly pending = new Map<number, Pending>();
  private sequence = 0;
  private drainWaiters: Array<() => void> = [];
  private blocked = false;

  constructor(
    private readonly connection: AmqpConnection,
    private readonly timeoutMs = 15_000,
  ) {
    this.logger = new Logger(`publisher:${connection.name}`);
  }

  async init(): Promise<void> {
    await this.connection.onConnect((model) => this.open(model));
  }

  get ready(): boolean {
    return this.channel !== null;
  }

  async publish(
    exchange: string,
    routingKey: string,
    body: Uint8Array,
    options: Options.Publish & { messageId: string },
  ): Promise<void> {
    const channel = this.channel;
    if (!channel) throw new PublishError('not connected to the broker', true);
    while (this.blocked) await new Promise<void>((r) => this.drainWaiters.push(r));
    const key = ++this.sequence;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(key);
        reject(new PublishError(`no broker confirm within ${this.timeoutMs} ms`, true));
      }, this.timeoutMs);
      this.pending.set(key, {
        returnKey: returnKey(routingKey, options.messageId),
        resolve,
        reject,
        returned: false,
        timer,
      });
      const buffer = bufferView(body);
      try {
        const writable = channel.publish(
          exchange,
          routingKey,
          buffer,
          { mandatory: true, ...options },
          (err) => this.settle(key, err),
        );
        if (!writable) this.blocked = true;
      } catch (error) {
        this.settle(key, error);
      }
    });
  }

  private settle(key: number, err: unknown): void {
    const p = this.pending.get(key);
    if (!p) return;
    this.pending.delete(key);
    clearTimeout(p.timer);
    if (err)
      p.reject(
        new PublishError(
          `broker refused the message: ${err instanceof Error ? err.message : JSON.stringify(err)}`,
          true,
        ),
      );
    else if (p.returned) p.reject(new PublishError('unroutable: no queue bound for the routing key', true));
    else p.resolve();
  }

  private async open(model: ChannelModel): Promise<void> {
    const channel = await model.createConfirmChannel();
    // basic.return precedes the confirm of the same message: mark the oldest matching publish.
    channel.on('return', (msg) => {
      const wanted = returnKey(msg.fields.routingKey, String(msg.properties.messageId));
      for (const p of this.pending.values()) {
        if (p.returnKey === wanted && !p.returned) {
          p.returned = true;
          break;
        }
      }
    });
    channel.on('drain', () => {
      this.blocked = false;
      const waiters = this.drainWaiters;
      this.drainWaiters = [];
      waiters.forEach((w) => w());
    });
    channel.on('error', (err: Error) => this.logger.warn(`channel error: ${err.message}`));
    channel.on('close', () => {
      if (this.channel !== channel) return;
      this.channel = null;
      this.failAll('channel closed before the broker confirmed');
      this.blocked = false;
      this.drainWaiters.splice(0).forEach((w) => w());
    });
    this.channel = channel;
  }

  private failAll(reason: string): void {
    for (const [key, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new PublishError(reason, true));
      this.pending.delete(key);
    }
  }

  async close(): Promise<void> {
    const channel = this.channel;
    this.channel = null;
    if (channel) await channel.waitForConfirms().catch(() => undefined);
    await channel?.close().catch(() => undefined);
  }
}

function returnKey(routingKey: string, messageId: string): string {
  return `${routingKey}\u0000${messageId}`;
}
