import type { Provider } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ConsoleReadModel } from '../../modules/console/console-read-model';
import {
  ConsoleSessionRepository,
  ConsoleUserRepository,
  PasswordHasher,
} from '../../modules/console/console.ports';
import {
  AddConsoleUser,
  GetConsoleSession,
  LogIn,
  LogOut,
} from '../../modules/console/use-cases/console-auth.use-cases';
import {
  GetConsoleOverview,
  GetDocumentTimeline,
  SearchDeliveries,
} from '../../modules/console/use-cases/console-views.use-cases';
import { ExportAuditAsUser } from '../../modules/console/use-cases/export-audit-as-user.use-case';
import { ScryptPasswordHasher } from '../console-web/scrypt-hasher';
import { PgConsoleReadModel, PgConsoleSessions, PgConsoleUsers } from '../postgres/pg-console';

export function consoleProviders(): Provider[] {
  return [
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
    ExportAuditAsUser,
  ];
}
