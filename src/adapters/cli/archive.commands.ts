import type { Command } from 'commander';
import { resolve } from 'node:path';
import { MonthRecords } from '../../modules/retention/month-records.port';
import { ArchiveMonths } from '../../modules/retention/use-cases/archive-months.use-case';
import { verifyArchiveSet } from '../../modules/retention/use-cases/verify-archive-set';
import {
  ReleaseRestoredMonth,
  RestoreArchivedMonth,
} from '../../modules/retention/use-cases/restore-archived-month.use-case';
import { FsArchiveStore } from '../files/fs-archive-store';
import { DocumentEvidenceDirectory } from '../files/document-evidence-directory';
import { ExportArchivedDocument } from '../../modules/retention/use-cases/export-archived-document.use-case';
import { PurgeExpiredArchives } from '../../modules/retention/use-cases/purge-expired-archives.use-case';
import { formatTable } from './table';
import { withBus } from './run';

const megabytes = (bytes: number | undefined) => `${((bytes ?? 0) / 1e6).toFixed(1)} MB`;

/**
 * `edoc-bus archive run|verify|list`: months older than RETENTION_HOT_MONTHS leave the database as
 * signed sets in ARCHIVE_DIR; `verify` checks a set with nothing but its files.
 */
export function registerArchiveCommands(program: Command): void {
  const archive = program
    .command('archive')
    .description('old months out of the database into signed, verifiable sets (ARCHIVE_DIR)');

  archive
    .command('run')
    .description(
      'archive every month older than RETENTION_HOT_MONTHS whose copies are all answered: write, verify, then detach',
    )
    .option('--before <YYYY-MM>', 'only months before this one (and still older than the hot months)')
    .action((opts: { before?: string }) =>
      withBus(async (app) => {
        const reports = await app.get(ArchiveMonths).execute({ before: opts.before ?? null });
        if (reports.length === 0) {
          console.log('nothing to archive: every month in the database is within the hot months');
          return;
        }
        console.log(
          formatTable(
            ['month', 'outcome', 'packages', 'bytes', 'where / why'],
            reports.map((r) => [
              r.month,
              r.outcome,
              String(r.packages ?? '-'),
              r.outcome === 'archived' ? megabytes(r.bytes) : '-',
              r.location ?? r.reason ?? '',
            ]),
          ),
        );
      }),
    );

  archive
    .command('verify <set>')
    .description('check a month set offline: signature, every file digest, package bodies, the audit chain')
    .action(async (dir: string) => {
      const result = await verifyArchiveSet(FsArchiveStore.at(resolve(dir)));
      if (result.ok) {
        console.log(
          `OK: ${result.month}: ${result.packages} packages, ${result.rows} records, ${result.auditEntries} audit entries (signed by ${result.signedBy})`,
        );
        return;
      }
      for (const p of result.problems) console.error(`FAILED: ${p}`);
      process.exitCode = 1;
    });

  archive
    .command('restore <month>')
    .description('an archived month back in the database, read-only, after its set verifies')
    .action((month: string) =>
      withBus(async (app) => {
        const { packages, location } = await app.get(RestoreArchivedMonth).execute(month);
        console.log(
          `restored ${month}: ${packages} packages from ${location} (read-only; archive release ${month} when done)`,
        );
      }),
    );

  archive
    .command('release <month>')
    .description('a restored month leaves the database again (its set stays)')
    .action((month: string) =>
      withBus(async (app) => {
        await app.get(ReleaseRestoredMonth).execute(month);
        console.log(`released ${month}`);
      }),
    );

  archive
    .command('export')
    .description(
      "one archived document's evidence from its month's set: bytes, records, audit entries (audit verify DIR/audit)",
    )
    .requiredOption('--document <busId>', 'the bus id of an archived document')
    .requiredOption('--out <dir>', 'directory to write (created)')
    .action((opts: { document: string; out: string }) =>
      withBus(async (app) => {
        const dir = resolve(opts.out);
        const { month, rows } = await app
          .get(ExportArchivedDocument)
          .execute(opts.document, new DocumentEvidenceDirectory(dir));
        console.log(`exported ${opts.document} from the set of ${month}: ${rows} records to ${dir}`);
      }),
    );

  archive
    .command('purge')
    .description('delete the sets of months older than RETENTION_TOTAL_YEARS (recorded in the audit chain)')
    .action(() =>
      withBus(async (app) => {
        const purged = await app.get(PurgeExpiredArchives).execute();
        if (purged.length === 0) {
          console.log('nothing to purge: every archived month is within RETENTION_TOTAL_YEARS');
          return;
        }
        console.log(
          formatTable(
            ['month', 'packages', 'keys forgotten', 'manifest sha256'],
            purged.map((p) => [p.month, String(p.packages), String(p.keys), p.manifestSha256]),
          ),
        );
      }),
    );

  archive
    .command('list')
    .description('the archived months: where each set is, what it holds, the digest of its manifest')
    .action(() =>
      withBus(async (app) => {
        const rows = await app.get(MonthRecords).archivedMonths();
        console.log(
          formatTable(
            ['month', 'packages', 'bytes', 'manifest sha256', 'location'],
            rows.map((r) => [r.month, String(r.packages), megabytes(r.bytes), r.manifestSha256, r.location]),
          ),
        );
      }),
    );
}
