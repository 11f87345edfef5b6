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
  readonly inboxBacklog: Gauge<'endpoint'>;
  readonly outboxPending: Gauge;
  readonly outboxOldestSeconds: Gauge;

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
      help: 'Messages waiting in each endpoint inbox (sampled from the broker)',
      labelNames: ['endpoint'],
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
