import { Injectable } from '@nestjs/common';
import { Clock } from '../../shared/clock';
import {
  ConfiguredCertificates,
  ConsoleReadModel,
  type ConsoleOverviewFigures,
} from '../console-read-model.port';

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
