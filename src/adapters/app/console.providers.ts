import { readFileSync } from 'node:fs';
import { GetOperationalHealth } from '../../modules/console/use-cases/get-operational-health.use-case';
import type { Provider } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  ConfiguredCertificates,
  ConsoleReadModel,
  type ConfiguredCertificate,
} from '../../modules/console/console-read-model.port';
import {
  ConsoleSessionRepository,
  ConsoleUserRepository,
  PasswordHasher,
} from '../../modules/console/console-users.port';
import { AddConsoleUser } from '../../modules/console/use-cases/add-console-user.use-case';
import { LogIn } from '../../modules/console/use-cases/log-in.use-case';
import { GetConsoleSession } from '../../modules/console/use-cases/get-console-session.use-case';
import { LogOut } from '../../modules/console/use-cases/log-out.use-case';
import { GetConsoleOverview } from '../../modules/console/use-cases/get-console-overview.use-case';
import { ListConsoleEndpoints } from '../../modules/console/use-cases/list-console-endpoints.use-case';
import { SearchDeliveries } from '../../modules/console/use-cases/search-deliveries.use-case';
import { GetDocumentTimeline } from '../../modules/console/use-cases/get-document-timeline.use-case';
import { ExportAuditAsUser } from '../../modules/console/use-cases/export-audit-as-user.use-case';
import { certificateFacts, derFromPem } from '../../modules/trust/pki/certificate-facts';
import type { BusConfig } from '../config/bus-config';
import { ScryptPasswordHasher } from '../http/console/scrypt-hasher';
import { PgConsoleUsers } from '../postgres/pg-console-users.repository';
import { PgConsoleSessions } from '../postgres/pg-console-sessions.repository';
import { PgConsoleReadModel } from '../postgres/pg-console-read-model.repository';

/** The trust anchors, issuing CAs and the bus's own certificate, read once from the configuration. */
function configuredCertificates(config: BusConfig): ConfiguredCertificate[] {
  const facts = (pem: string, source: ConfiguredCertificate['source']) =>
    derFromPem(pem).map((der) => {
      const f = certificateFacts(der);
      return { source, subject: f.subject, organId: f.organId, notAfter: new Date(f.notAfter) };
    });
  return [
    ...facts(config.trust.anchorsPem, 'trust-anchor'),
    ...facts(config.trust.intermediatesPem, 'intermediate'),
    ...(config.busSigning ? facts(config.busSigning.certPem, 'bus').slice(0, 1) : []),
  ];
}

/** The bus's TLS server certificate as it is on disk now (it is renewed without a restart). */
function tlsServerCertificate(config: BusConfig): ConfiguredCertificate[] {
  if (!config.tls) return [];
  try {
    const [der] = derFromPem(readFileSync(config.tls.certFile, 'utf8'));
    if (!der) return [];
    const f = certificateFacts(der);
    return [{ source: 'tls-server', subject: f.subject, organId: f.organId, notAfter: new Date(f.notAfter) }];
  } catch {
    return [];
  }
}

export function consoleProviders(config: BusConfig): Provider[] {
  const configured = configuredCertificates(config);
  return [
    {
      provide: ConfiguredCertificates,
      useValue: { list: () => [...configured, ...tlsServerCertificate(config)] },
    },
    {
      provide: ConsoleUserRepository,
      useFactory: (db: DataSource) => new PgConsoleUsers(db),
      inject: [DataSource],
    },
    {
      provide: ConsoleSessionRepository,
      useFactory: (db: DataSource) => new PgConsoleSessions(db),
      inject: [DataSource],
    },
    {
      provide: ConsoleReadModel,
      useFactory: (db: DataSource) => new PgConsoleReadModel(db),
      inject: [DataSource],
    },
    { provide: PasswordHasher, useClass: ScryptPasswordHasher },
    AddConsoleUser,
    LogIn,
    GetConsoleSession,
    LogOut,
    GetConsoleOverview,
    SearchDeliveries,
    GetDocumentTimeline,
    ListConsoleEndpoints,
    ExportAuditAsUser,
    GetOperationalHealth,
  ];
}
