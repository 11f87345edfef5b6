import { Injectable } from '@nestjs/common';
import { DeliveryRepository } from '../../delivery/delivery.repository';
import type { DocumentTrace } from '../../delivery/domain/document-trace';
import { Clock } from '../../shared/clock';
import { isUuid } from '../../shared/ids';
import {
  ConfiguredCertificates,
  ConsoleReadModel,
  type ConsoleOverviewFigures,
  type DeliverySearch,
  type DocumentEvidence,
  type EndpointActivity,
} from '../console-read-model';
import { EndpointRepository } from '../../registry/endpoint.repository';
import type { Endpoint } from '../../registry/domain/endpoint';

/** Certificates expiring within this many days are shown (renewal through the CA takes weeks). */
export const CERTIFICATE_EXPIRY_WATCH_DAYS = 60;

@Injectable()
export class GetConsoleOverview {
  constructor(
    private readonly read: ConsoleReadModel,
    private readonly configured: ConfiguredCertificates,
    private readonly clock: Clock,
  ) {}

  async execute(): Promise<ConsoleOverviewFigures> {
    const now = this.clock.now();
    const horizon = new Date(now.getTime() + CERTIFICATE_EXPIRY_WATCH_DAYS * 86_400_000);
    const { expiringSigners, ...figures } = await this.read.overview(now, horizon);
    const configured = this.configured
      .list()
      .filter((c) => c.notAfter < horizon)
      .map((c) => ({ ...c, lastSeen: null }));
    const expiringCertificates = [...configured, ...expiringSigners].sort(
      (a, b) => a.notAfter.getTime() - b.notAfter.getTime(),
    );
    return { ...figures, expiringCertificates };
  }
}

/** The endpoints page: each endpoint with what it has been doing lately. */
@Injectable()
export class ListConsoleEndpoints {
  constructor(
    private readonly endpoints: EndpointRepository,
    private readonly read: ConsoleReadModel,
  ) {}

  async execute(): Promise<Array<Endpoint & Omit<EndpointActivity, 'organId'>>> {
    const [endpoints, activity] = await Promise.all([this.endpoints.findAll(), this.read.endpointActivity()]);
    const byOrgan = new Map(activity.map((a) => [a.organId, a]));
    return endpoints.map((e) => ({
      ...e,
      lastPackageAt: byOrgan.get(e.organId)?.lastPackageAt ?? null,
      waiting: byOrgan.get(e.organId)?.waiting ?? 0,
    }));
  }
}

@Injectable()
export class SearchDeliveries {
  constructor(private readonly read: ConsoleReadModel) {}

  execute(search: DeliverySearch, after: string | null, limit = 50) {
    return this.read.searchDeliveries(search, after, Math.max(1, Math.min(200, limit)));
  }
}

/** One document as an operator sees it: every recipient's states, whoever sent it. */
@Injectable()
export class GetDocumentTimeline {
  constructor(
    private readonly read: ConsoleReadModel,
    private readonly deliveries: DeliveryRepository,
  ) {}

  /** The copies' histories, the signature evidence (signer, chain, revocation answers and their age, PDF signatures) and the receipts. */
  async execute(busId: string): Promise<{ trace: DocumentTrace; evidence: DocumentEvidence } | null> {
    if (!isUuid(busId)) return null;
    const sender = await this.read.senderOf(busId);
    if (!sender) return null;
    const [trace, evidence] = await Promise.all([
      this.deliveries.documentTrace(sender, { busId }),
      this.read.evidenceOf(busId),
    ]);
    return trace ? { trace, evidence } : null;
  }
}
