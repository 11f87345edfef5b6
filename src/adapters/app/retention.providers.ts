import type { Provider } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ArchiveStore } from '../../modules/retention/archive-store.port';
import { ArchivedDocuments } from '../../modules/retention/archived-documents.port';
import { LocateArchivedDocument } from '../../modules/retention/use-cases/locate-archived-document.use-case';
import { ExportArchivedDocument } from '../../modules/retention/use-cases/export-archived-document.use-case';
import { PurgeExpiredArchives } from '../../modules/retention/use-cases/purge-expired-archives.use-case';
import { PgArchivedDocuments } from '../postgres/pg-archived-documents.repository';
import { MonthPartitions } from '../../modules/retention/month-partitions.port';
import { MonthRecords } from '../../modules/retention/month-records.port';
import { RetentionSettings } from '../../modules/retention/retention-settings';
import { ArchiveMonths } from '../../modules/retention/use-cases/archive-months.use-case';
import { PrepareComingMonths } from '../../modules/retention/use-cases/prepare-coming-months.use-case';
import {
  ReleaseRestoredMonth,
  RestoreArchivedMonth,
} from '../../modules/retention/use-cases/restore-archived-month.use-case';
import type { BusConfig } from '../config/bus-config';
import { FsArchiveStore } from '../files/fs-archive-store';
import { PgMonthPartitions } from '../postgres/pg-month-partitions.repository';
import { PgMonthRecords } from '../postgres/pg-month-records.repository';
import { KillBeforeRetireMonthRecords, KillMidWriteArchiveStore } from './fault-injection';
import { MonthCalendar } from './month-calendar';

/** Months: partitions made ahead on a serving bus, and the archive (`edoc-bus archive …`). */
export function retentionProviders(config: BusConfig, options: { ingress: boolean }): Provider[] {
  return [
    {
      provide: MonthPartitions,
      useFactory: (db: DataSource) => new PgMonthPartitions(db),
      inject: [DataSource],
    },
    PrepareComingMonths,
    {
      provide: MonthCalendar,
      useFactory: (prepare: PrepareComingMonths) => (options.ingress ? new MonthCalendar(prepare) : null),
      inject: [PrepareComingMonths],
    },
    {
      provide: MonthRecords,
      useFactory: (db: DataSource) => {
        const records = new PgMonthRecords(db);
        return config.faultInjection === 'kill-archive-before-retire'
          ? new KillBeforeRetireMonthRecords(records)
          : records;
      },
      inject: [DataSource],
    },
    {
      provide: ArchiveStore,
      useFactory: () => {
        const store = new FsArchiveStore(config.retention.archiveDir);
        return config.faultInjection === 'kill-archive-mid-write'
          ? new KillMidWriteArchiveStore(store)
          : store;
      },
    },
    {
      provide: RetentionSettings,
      useValue: { hotMonths: config.retention.hotMonths, totalYears: config.retention.totalYears },
    },
    ArchiveMonths,
    RestoreArchivedMonth,
    ReleaseRestoredMonth,
    {
      provide: ArchivedDocuments,
      useFactory: (db: DataSource) => new PgArchivedDocuments(db),
      inject: [DataSource],
    },
    LocateArchivedDocument,
    ExportArchivedDocument,
    PurgeExpiredArchives,
  ];
}
