import { Injectable } from '@nestjs/common';
import { EndpointRepository } from '../../registry/endpoint-repository.port';
import { Clock } from '../../shared/clock';
import {
  ConfiguredCertificates,
  ConsoleReadModel,
  type ConsoleOverviewFigures,
} from '../console-read-model.port';
import { overviewAttention, type OverviewAttention } from '../domain/overview-attention';

/** Certificates expiring within this many days are shown (renewal through the CA takes weeks). */
export const CERTIFICATE_EXPIRY_WATCH_DAYS = 60;

export type ConsoleOverview = ConsoleOverviewFigures & { attention: OverviewAttention };

/** The operator's first page: what needs attention first, then the last day's figures. */
@Injectable()
export class GetConsoleOverview {
  constructor(
    private readonly read: ConsoleReadModel,
    private readonly configured: ConfiguredCertificates,
    private readonly endpoints: EndpointRepository,
    private readonly clock: Clock,
  ) {}

  async execute(): Promise<ConsoleOverview> {
    const now = this.clock.now();
    const horizon = new Date(now.getTime() + CERTIFICATE_EXPIRY_WATCH_DAYS * 86_400_000);
    const [{ expiringSigners, ...figures }, endpoints] = await Promise.all([
      this.read.overview(now, horizon),
      this.endpoints.findAll(),
    ]);
    const configured = this.configured
      .list()
      .filter((c) => c.notAfter < horizon)
      .map((c) => ({ ...c, lastSeen: null }));
    const expiringCertificates = [...configured, ...expiringSigners].sort(
      (a, b) => a.notAfter.getTime() - b.notAfter.getTime(),
    );
    const overview = { ...figures, expiringCertificates };
    const active = endpoints.filter((e) => e.status !== 'closed').length;
    return { ...overview, attention: overviewAttention(overview, active) };
  }
}
