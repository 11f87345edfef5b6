import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { SubmissionMetrics, type SubmissionStage } from '../../modules/routing/submission-metrics.port';

/**
 * Prometheus metrics of one bus instance, in its own registry (several instances can live in one
 * test process without "metric already registered").
 */
export class BusMetrics extends SubmissionMetrics {
  readonly registry = new Registry();
  private readonly packages: Counter<'kind' | 'outcome' | 'reason'>;
  private readonly stages: Histogram<'stage'>;
  readonly inboxBacklog: Gauge<'endpoint' | 'lane'>;
  readonly outboxPending: Gauge;
  readonly outboxOldestSeconds: Gauge;
  readonly waitingCopies: Gauge<'endpoint'>;
  readonly oldestWaitingSeconds: Gauge<'endpoint'>;
  readonly overdueCopies: Gauge<'endpoint'>;
  readonly overdueNotices: Counter;
  readonly pausedDestinations: Gauge<'endpoint'>;

  constructor() {
    super();
    collectDefaultMetrics({ register: this.registry, prefix: 'edoc_bus_' });
    this.packages = new Counter({
      name: 'edoc_packages_total',
      help: 'Packages submitted to the bus, by kind (edoc/status), outcome and refusal reason',
      labelNames: ['kind', 'outcome', 'reason'],
      registers: [this.registry],
    });
    this.stages = new Histogram({
      name: 'edoc_stage_seconds',
      help: 'Time spent per stage of the submission path',
      labelNames: ['stage'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [this.registry],
    });
    this.inboxBacklog = new Gauge({
      name: 'edoc_inbox_backlog',
      help: 'Messages waiting in each endpoint inbox lane (sampled from the broker)',
      labelNames: ['endpoint', 'lane'],
      registers: [this.registry],
    });
    this.outboxPending = new Gauge({
      name: 'edoc_outbox_pending',
      help: 'Committed messages not yet confirmed by the broker',
      registers: [this.registry],
    });
    this.outboxOldestSeconds = new Gauge({
      name: 'edoc_outbox_oldest_seconds',
      help: 'Age of the oldest unconfirmed outbox message',
      registers: [this.registry],
    });
    this.waitingCopies = new Gauge({
      name: 'edoc_waiting_copies',
      help: 'Copies not yet taken from each endpoint inbox (from the delivery records)',
      labelNames: ['endpoint'],
      registers: [this.registry],
    });
    this.oldestWaitingSeconds = new Gauge({
      name: 'edoc_oldest_waiting_copy_seconds',
      help: 'Age of the oldest copy still waiting in each endpoint inbox (an offline endpoint grows it)',
      labelNames: ['endpoint'],
      registers: [this.registry],
    });
    this.overdueCopies = new Gauge({
      name: 'edoc_overdue_copies',
      help: 'Copies past their deadline (01, or 03/02) and still unanswered, per recipient',
      labelNames: ['endpoint'],
      registers: [this.registry],
    });
    this.overdueNotices = new Counter({
      name: 'edoc_overdue_notices_total',
      help: 'Copies flagged overdue (each flag sends its sender an overdue receipt)',
      registers: [this.registry],
    });
    this.pausedDestinations = new Gauge({
      name: 'edoc_delivery_paused',
      help: '1 while deliveries to an endpoint are paused after repeated publish failures (circuit breaker)',
      labelNames: ['endpoint'],
      registers: [this.registry],
    });
  }

  /** Mean time per stage so far, for human-readable summaries (demo, bench). */
  async stageSummary(): Promise<Array<{ stage: string; count: number; meanMs: number }>> {
    const metric = await this.stages.get();
    const sums = new Map<string, number>();
    const counts = new Map<string, number>();
    for (const v of metric.values) {
      const stage = String(v.labels.stage);
      if (v.metricName === 'edoc_stage_seconds_sum') sums.set(stage, v.value);
      if (v.metricName === 'edoc_stage_seconds_count') counts.set(stage, v.value);
    }
    return [...counts.entries()].map(([stage, count]) => ({
      stage,
      count,
      meanMs: count ? ((sums.get(stage) ?? 0) / count) * 1000 : 0,
    }));
  }

  observeStage(stage: SubmissionStage, seconds: number): void {
    this.stages.observe({ stage }, seconds);
  }

  countOutcome(kind: string, outcome: string, reason: string | null): void {
    this.packages.inc({ kind, outcome, reason: reason ?? '' });
  }
}
