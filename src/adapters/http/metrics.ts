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
  readonly brokerNodeUp: Gauge<'node'>;
  readonly quorumMembers: Gauge<'queue'>;
  readonly quorumOnline: Gauge<'queue'>;
  readonly quorumLeader: Gauge<'queue'>;
  readonly certificateNotAfter: Gauge<'kind' | 'subject' | 'organ'>;
  readonly revocationFailures: Gauge<'url' | 'method'>;
  readonly revocationLastSuccess: Gauge<'url' | 'method'>;
  readonly auditPending: Gauge;
  readonly auditOldestPendingSeconds: Gauge;
  readonly auditCheckpointAgeSeconds: Gauge;
  readonly standbyReplayLagSeconds: Gauge<'standby'>;

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
    this.brokerNodeUp = this.gauge(
      'edoc_broker_node_up',
      '1 while a RabbitMQ cluster node runs, 0 when it is down',
      ['node'],
    );
    this.quorumMembers = this.gauge('edoc_quorum_queue_members', 'Members of each quorum queue of the bus', [
      'queue',
    ]);
    this.quorumOnline = this.gauge(
      'edoc_quorum_queue_online_members',
      'Members of each quorum queue that are online',
      ['queue'],
    );
    this.quorumLeader = this.gauge('edoc_quorum_queue_has_leader', '1 while a quorum queue has a leader', [
      'queue',
    ]);
    this.certificateNotAfter = this.gauge(
      'edoc_certificate_not_after_timestamp_seconds',
      'When each certificate the bus depends on expires: signers in use (90 days), trust anchors, CAs, the bus’s own, its TLS certificate',
      ['kind', 'subject', 'organ'],
    );
    this.revocationFailures = this.gauge(
      'edoc_revocation_source_failures_in_a_row',
      'Failed fetches in a row of each OCSP responder and CRL address',
      ['url', 'method'],
    );
    this.revocationLastSuccess = this.gauge(
      'edoc_revocation_source_last_success_timestamp_seconds',
      'Last successful fetch from each OCSP responder and CRL address (0: never)',
      ['url', 'method'],
    );
    this.auditPending = this.gauge(
      'edoc_audit_pending_entries',
      'Recorded events not yet sealed into the audit chain',
    );
    this.auditOldestPendingSeconds = this.gauge(
      'edoc_audit_oldest_pending_seconds',
      'Age of the oldest event waiting for the audit sealer',
    );
    this.auditCheckpointAgeSeconds = this.gauge(
      'edoc_audit_checkpoint_age_seconds',
      'Age of the last signed checkpoint of the audit chain',
    );
    this.standbyReplayLagSeconds = this.gauge(
      'edoc_database_standby_replay_lag_seconds',
      'How far each streaming standby of the database is behind in replaying (as the primary sees it)',
      ['standby'],
    );
  }

  private gauge<L extends string>(name: string, help: string, labelNames: L[] = []): Gauge<L> {
    return new Gauge({ name, help, labelNames, registers: [this.registry] });
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
