import type { Command } from 'commander';
import { resolve } from 'node:path';
import { DataSource } from 'typeorm';
import { ArchiveMonths } from '../../modules/retention/use-cases/archive-months.use-case';
import { verifyArchiveSet } from '../../modules/retention/use-cases/verify-archive-set';
import { FsArchiveStore } from '../files/fs-archive-store';
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
    .command('list')
    .description('the archived months: where each set is, what it holds, the digest of its manifest')
    .action(() =>
      withBus(async (app) => {
        const rows = await app
          .get(DataSource)
          .query<
            { month: string; location: string; packages: number; bytes: string; manifest_sha256: string }[]
          >(`SELECT month, location, packages, bytes, manifest_sha256 FROM archived_month ORDER BY month`);
        console.log(
          formatTable(
            ['month', 'packages', 'bytes', 'manifest sha256', 'location'],
            rows.map((r) => [
              r.month,
              String(r.packages),
              megabytes(Number(r.bytes)),
              r.manifest_sha256,
              r.location,
            ]),
          ),
        );
      }),
    );
}
