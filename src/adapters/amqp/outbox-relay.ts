import { Logger } from '@nestjs/common';
import { settleWithin } from '../../modules/shared/wait';
import type { ChannelModel } from 'amqplib';
import { OutboxDispatcher, type PendingMessage } from '../../modules/delivery/outbox-dispatcher.port';
import type { OutboxStore } from '../../modules/delivery/outbox-store.port';
import type { AmqpConnection } from './amqp-connection';
import { HEADERS, inboxQueue, type Lane } from './amqp-names';
import type { ConfirmPublisher } from './confirm-publisher';
import { backoffSeconds, CircuitBreakers } from '../../modules/delivery/domain/delivery-retries';
import { declareInbox, type TopologyLimits } from './topology';

export interface RelaySettings extends TopologyLimits {
  leaseSeconds: number;
  sweepIntervalMs: number;
  sweepBatch: number;
  breaker: { failures: number; pauseSeconds: number };
  /** Seconds from hand-over to the broker's confirm, per copy on the fast path (a metric). */
  observePublish?: (seconds: number) => void;
}

/** A message that is not worth an outbox row: the reply to a question the asker repeats if it is lost. */
export interface TransientMessage {
  destination: string;
  lane: Lane;
  type: string;
  messageId: string;
  body: Uint8Array;
  headers: Record<string, string>;
  contentType: string;
}

/**
 * Publishes committed outbox rows to the recipients' broker inboxes (copies for endpoints that
 * poll were written into their pull inboxes by the transaction itself). Fast path: the submission hands over
 * its rows right after the commit and they are published at once. Safety net: a sweep takes any
 * row whose lease has passed (a publish failed, or a bus process died between commit and
 * confirm) and publishes it again. A row is deleted only after the broker confirms, so a copy can
 * be published twice (the SDK drops the second by bus id) but never lost.
 *
 * A failed publish is retried with exponential backoff (per row, from its attempt count); after
 * repeated failures to one destination its breaker opens and its rows wait in the outbox for the
 * pause instead of being tried one by one.
 */
export class OutboxRelay extends OutboxDispatcher {
  private readonly logger = new Logger('outbox-relay');
  /** The publisher's connection, for inbox declarations (each on a short channel of its own). */
  private model: ChannelModel | null = null;
  private readonly declaredInboxes = new Map<string, Promise<void>>();
  private readonly inFlight = new Set<Promise<void>>();
  private confirmed: string[] = [];
  private flushTimer: NodeJS.Timeout | null = null;
  private sweepTimer: NodeJS.Timeout | null = null;
  private sweeping = false;
  private stopped = false;
  readonly breakers: CircuitBreakers;
  published = 0;
  failed = 0;
  deferred = 0;

  constructor(
    private readonly connection: AmqpConnection,
    private readonly publisher: ConfirmPublisher,
    private readonly store: OutboxStore,
    private readonly settings: RelaySettings,
  ) {
    super();
    this.breakers = new CircuitBreakers(settings.breaker.failures, settings.breaker.pauseSeconds * 1000);
  }

  async start(): Promise<void> {
    await this.connection.onConnect(async (model) => this.useConnection(model));
    this.scheduleSweep(0);
  }

  /**
   * Declares every broker inbox in the background, a few at a time, so that a backlog waiting at
   * start-up (after a restart or a crash) is not held behind one declaration per endpoint.
   */
  async prewarm(organs: readonly string[]): Promise<void> {
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < organs.length && !this.stopped) {
          await this.ensureInbox(organs[next++]!, 'normal').catch(() => undefined);
        }
      }),
    );
  }

  dispatch(messages: PendingMessage[]): void {
    if (this.stopped) return;
    const handedOverAt = performance.now();
    for (const m of messages) void this.track(this.publishOne(m, handedOverAt));
  }

  /** Publishes everything due now; returns how many rows it handled. Used by the sweep and by tests. */
  async sweepOnce(): Promise<number> {
    if (this.sweeping || !this.publisher.ready) return 0;
    this.sweeping = true;
    try {
      const due = await this.store.claimDue(this.settings.sweepBatch, this.settings.leaseSeconds);
      await Promise.all(due.map((m) => this.track(this.publishOne(m))));
      return due.length;
    } finally {
      this.sweeping = false;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.sweepTimer) clearTimeout(this.sweepTimer);
    await settleWithin(this.inFlight, 5000);
    await this.flush();
    this.model = null;
  }

  /** Publishes a message that has no outbox row (a trace reply); the caller handles failure. */
  async publishTransient(m: TransientMessage): Promise<void> {
    const queue = await this.ensureInbox(m.destination, m.lane);
    await this.publisher.publish('', queue, m.body, {
      messageId: m.messageId,
      type: m.type,
      contentType: m.contentType,
      persistent: false,
      timestamp: Math.floor(Date.now() / 1000),
      appId: 'edoc-bus',
      correlationId: m.headers[HEADERS.correlationId],
      headers: m.headers,
    });
  }

  /** `handedOverAt`: set on the fast path, where the time to the broker's confirm is a metric. */
  private async publishOne(m: PendingMessage, handedOverAt: number | null = null): Promise<void> {
    const destination = m.record.destination;
    const paused = this.breakers.pausedFor(destination);
    if (paused > 0) {
      this.deferred++;
      await this.store
        .reschedule(m.id, Math.ceil(paused / 1000), 'destination paused (circuit breaker)', false)
        .catch(() => undefined);
      return;
    }
    try {
      const queue = await this.ensureInbox(destination, m.record.lane ?? 'normal');
      // A spooled package is read back only here, for a broker inbox: amqplib sends one buffer.
      const body = typeof m.body === 'function' ? await m.body() : m.body;
      await this.publisher.publish('', queue, body, {
        messageId: m.record.messageId,
        type: m.record.messageType,
        contentType: m.record.messageType === 'withdrawal' ? 'application/json' : 'application/xml',
        persistent: true,
        timestamp: Math.floor(Date.now() / 1000),
        appId: 'edoc-bus',
        // AMQP clients match an answer to their request by this property; the header stays for
        // clients written against the earlier contract.
        correlationId: m.record.headers[HEADERS.correlationId],
        headers: m.record.headers,
      });
      if (this.breakers.succeeded(destination)) this.resumeDestination(destination);
      if (handedOverAt !== null) this.settings.observePublish?.((performance.now() - handedOverAt) / 1000);
      this.published++;
      this.confirmed.push(m.id);
      this.flushSoon();
    } catch (error) {
      this.failed++;
      this.declaredInboxes.delete(destination); // declare again next time: the queue may be gone
      const message = error instanceof Error ? error.message : String(error);
      const attempts = (m.attempts ?? 0) + 1;
      const delay = backoffSeconds(attempts);
      if (this.breakers.failed(destination)) {
        this.logger.warn(
          `publishing to ${destination} keeps failing (${message}); pausing it for ${this.settings.breaker.pauseSeconds} s`,
        );
      } else {
        this.logger.warn(`publish to ${destination} failed (${message}); retry in ${delay} s`);
      }
      await this.store
        .reschedule(m.id, Math.max(delay, Math.ceil(this.breakers.pausedFor(destination) / 1000)), message)
        .catch(() => undefined);
    }
  }

  /** After failures, a publish to this destination worked: what waits out its backoff goes now. */
  private resumeDestination(destination: string): void {
    this.store
      .releaseDeferred(destination, this.settings.leaseSeconds)
      .then((n) => {
        if (n > 0) this.logger.log(`${destination} accepts messages again: ${n} deferred now due`);
      })
      .catch((error: unknown) => this.logger.warn(`could not release deferred rows: ${String(error)}`));
  }

  /**
   * Declares an endpoint's inbox once per connection. Concurrent first publishes to the same
   * endpoint share one declaration: without that, a burst after start-up (a backlog, a restart
   * after a crash) queued one declaration per message on the admin channel and held every copy
   * back for seconds.
   */
  private async ensureInbox(organId: string, lane: Lane): Promise<string> {
    const name = inboxQueue(organId, lane);
    let declared = this.declaredInboxes.get(organId);
    if (!declared) {
      const model = this.model;
      if (!model) throw new Error('not connected to the broker');
      declared = declareInbox(model, organId, this.settings);
      this.declaredInboxes.set(organId, declared);
      declared.catch(() => {
        if (this.declaredInboxes.get(organId) === declared) this.declaredInboxes.delete(organId);
      });
    }
    await declared;
    return name;
  }

  private useConnection(model: ChannelModel): void {
    this.declaredInboxes.clear();
    this.model = model;
    model.on('close', () => {
      if (this.model === model) this.model = null;
    });
  }

  private flushSoon(): void {
    if (this.confirmed.length >= 500) {
      void this.flush();
      return;
    }
    this.flushTimer ??= setTimeout(() => void this.flush(), 5);
  }

  private async flush(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    const ids = this.confirmed;
    this.confirmed = [];
    if (ids.length === 0) return;
    try {
      await this.store.markPublished(ids);
    } catch (error) {
      // The rows stay; their lease expires and they are published once more (at-least-once).
      this.logger.warn(`could not delete ${ids.length} published outbox rows: ${String(error)}`);
    }
  }

  private scheduleSweep(delay: number): void {
    if (this.stopped) return;
    this.sweepTimer = setTimeout(() => {
      this.sweepOnce()
        .then((n) => this.scheduleSweep(n >= this.settings.sweepBatch ? 0 : this.settings.sweepIntervalMs))
        .catch((error: unknown) => {
          this.logger.warn(`outbox sweep failed: ${String(error)}`);
          this.scheduleSweep(this.settings.sweepIntervalMs * 2);
        });
    }, delay);
    this.sweepTimer.unref();
  }

  private track(p: Promise<void>): Promise<void> {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
    return p;
  }
}
