import { Controller, Get, Header, Logger } from '@nestjs/common';
import { DeliveryRepository } from '../../modules/receipts/delivery.repository';
import { AmqpRuntime } from '../app/amqp-runtime';
import { PgOutboxStore } from '../postgres/pg-outbox.store';
import { BusMetrics } from './metrics';

const BACKLOG_REFRESH_MS = 10_000;

/** Prometheus scrape endpoint; gauges that need a query are refreshed on scrape (backlog at most every 10 s). */
@Controller()
export class MetricsController {
  private readonly logger = new Logger('metrics');
  private backlogSampledAt = 0;

  constructor(
    private readonly metrics: BusMetrics,
    private readonly outbox: PgOutboxStore,
    private readonly amqp: AmqpRuntime,
    private readonly deliveries: DeliveryRepository,
  ) {}

  @Get('metrics')
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  async scrape(): Promise<string> {
    try {
      const pending = await this.outbox.pendingCount();
      this.metrics.outboxPending.set(pending.count);
      this.metrics.outboxOldestSeconds.set(pending.oldestSeconds);
    } catch (error) {
      this.logger.warn(`outbox gauge not refreshed: ${String(error)}`);
    }
    if (Date.now() - this.backlogSampledAt > BACKLOG_REFRESH_MS) {
      this.backlogSampledAt = Date.now();
      try {
        for (const q of await this.amqp.inboxDepths())
          this.metrics.inboxBacklog.set({ endpoint: q.endpoint, lane: q.lane }, q.messages);
      } catch (error) {
        this.logger.warn(`inbox backlog not sampled: ${String(error)}`);
      }
      try {
        this.metrics.waitingCopies.reset();
        this.metrics.oldestWaitingSeconds.reset();
        this.metrics.overdueCopies.reset();
        for (const b of await this.deliveries.backlog()) {
          this.metrics.waitingCopies.set({ endpoint: b.endpoint }, b.waitingCopies);
          this.metrics.oldestWaitingSeconds.set({ endpoint: b.endpoint }, b.oldestWaitingSeconds);
          this.metrics.overdueCopies.set({ endpoint: b.endpoint }, b.overdueCopies);
        }
      } catch (error) {
        this.logger.warn(`delivery backlog not sampled: ${String(error)}`);
      }
    }
    this.metrics.pausedDestinations.reset();
    for (const endpoint of this.amqp.relay.breakers.open())
      this.metrics.pausedDestinations.set({ endpoint }, 1);
    return this.metrics.registry.metrics();
  }
}
