import { Injectable } from '@nestjs/common';
import {
  ExportAuditTrail,
  type AuditExportQuery,
  type AuditExportSink,
} from '../../audit/use-cases/export-audit-trail.use-case';
import type { AuditExportManifest } from '../../audit/domain/audit-verification';
import { Clock } from '../../shared/clock';
import { ConsoleUserRepository } from '../console-users.port';

/** An export from the console: recorded (who, which period and filter) before it is handed out. */
@Injectable()
export class ExportAuditAsUser {
  constructor(
    private readonly exporter: ExportAuditTrail,
    private readonly users: ConsoleUserRepository,
    private readonly clock: Clock,
  ) {}

  async execute(
    username: string,
    query: AuditExportQuery,
    sink: AuditExportSink,
  ): Promise<AuditExportManifest> {
    await this.users.recordAction({
      at: this.clock.now(),
      username,
      action: 'audit.export',
      detail: {
        from: query.from.toISOString(),
        to: query.to.toISOString(),
        endpoint: query.endpoint,
        document: query.document,
      },
    });
    return this.exporter.execute(query, sink);
  }
}
