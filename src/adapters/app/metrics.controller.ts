import { Controller, Get, Header, Logger } from '@nestjs/common';
import { DeliveryRepository } from '../../modules/delivery/delivery-repository.port';
import { AmqpRuntime } from './amqp-runtime';
import { OutboxStore } from '../../modules/delivery/outbox-store.port';
import { BusMetrics } from '../http/metrics';
import { GetOperationalHealth } from '../../modules/console/use-cases/get-operational-health.use-case';

const BACKLOG_REFRESH_MS = 10_000;
/** Certificates, revocation sources, the sealer, standbys and the broker's cluster change slowly. */
const HEALTH_REFRESH_MS = 15_000;

/** Prometheus scrape endpoint; gauges that need a query are refreshed on scrape (backlog at most every 10 s). */
@Controller()
export class MetricsController {
  private readonly logger = new Logger('metrics');
  private backlogSampledAt = 0;
  private healthSampledAt = 0;

  constructor(
    private readonly metrics: BusMetrics,
    private readonly outbox: OutboxStore,
    private readonly amqp: AmqpRuntime,
    private readonly deliveries: DeliveryRepository,
    private readonly operations: GetOperationalHealth,
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
    if (Date.now() - this.healthSampledAt > HEALTH_REFRESH_MS) {
      this.healthSampledAt = Date.now();
      await Promise.all([this.sampleBroker(), this.sampleOperations()]);
    }
    this.metrics.pausedDestinations.reset();
    for (const endpoint of this.amqp.relay.breakers.open())
      this.metrics.pausedDestinations.set({ endpoint }, 1);
    return this.metrics.registry.metrics();
  }

  /** Nodes up or down, and each quorum queue's leader and members online (alert rules in ops/prometheus). */
  private async sampleBroker(): Promise<void> {
    try {
      const { nodes, queues } = await this.amqp.clusterHealth();
      const m = this.metrics;
      for (const g of [m.brokerNodeUp, m.quorumMembers, m.quorumOnline, m.quorumLeader]) g.reset();
      for (const n of nodes) m.brokerNodeUp.set({ node: n.name }, n.running ? 1 : 0);
      for (const q of queues) {
        m.quorumMembers.set({ queue: q.name }, q.members.length);
        m.quorumOnline.set({ queue: q.name }, q.online.length);
        m.quorumLeader.set({ queue: q.name }, q.leader ? 1 : 0);
      }
    } catch (error) {
      this.logger.warn(`broker cluster not sampled: ${String(error)}`);
    }
  }

  private async sampleOperations(): Promise<void> {
    try {
      const h = await this.operations.execute();
      const m = this.metrics;
      for (const g of [
        m.certificateNotAfter,
        m.revocationFailures,
        m.revocationLastSuccess,
        m.standbyReplayLagSeconds,
      ])
        g.reset();
      for (const c of h.certificates)
        m.certificateNotAfter.set(
          { kind: c.kind, subject: c.subject, organ: c.organId ?? '' },
          Math.floor(c.notAfter.getTime() / 1000),
        );
      for (const r of h.revocationSources) {
        m.revocationFailures.set({ url: r.url, method: r.method }, r.failuresInARow);
        m.revocationLastSuccess.set(
          { url: r.url, method: r.method },
          r.lastSuccessAt ? Math.floor(r.lastSuccessAt.getTime() / 1000) : 0,
        );
      }
      m.auditPending.set(h.audit.pending);
      m.auditOldestPendingSeconds.set(h.audit.oldestPendingSeconds);
      if (h.audit.lastCheckpointAgeSeconds !== null)
        m.auditCheckpointAgeSeconds.set(h.audit.lastCheckpointAgeSeconds);
      for (const s of h.standbys) m.standbyReplayLagSeconds.set({ standby: s.name }, s.replayLagSeconds ?? 0);
    } catch (error) {
      this.logger.warn(`operational health not sampled: ${String(error)}`);
    }
  }
}
