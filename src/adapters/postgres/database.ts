import { Client } from 'pg';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { InfrastructureUnavailableError } from '../../modules/shared/errors';
import { redactUrl, redactUrls } from '../config/bus-config';
import type { PrimaryFinder } from './primary-finder';
import { EndpointChangeEntity, EndpointEntity, OrganAliasEntity } from './entities';
import { InitialSchema1732300000000 } from './migrations/1732300000000-initial-schema';
import { Trust1732400000000 } from './migrations/1732400000000-trust';
import { Lifecycle1732500000000 } from './migrations/1732500000000-lifecycle';
import { Bridges1732600000000 } from './migrations/1732600000000-bridges';
import { Audit1732700000000 } from './migrations/1732700000000-audit';
import { Console1732800000000 } from './migrations/1732800000000-console';
import { CertificateHealth1732900000000 } from './migrations/1732900000000-certificate-health';
import { DeadLetterProperties1733000000000 } from './migrations/1733000000000-dead-letter-properties';
import { BridgeAuth1733100000000 } from './migrations/1733100000000-bridge-auth';
import { MonthlyPartitions1733200000000 } from './migrations/1733200000000-monthly-partitions';
import { Archive1733300000000 } from './migrations/1733300000000-archive';
import { RegisterSenderIndex1733400000000 } from './migrations/1733400000000-register-sender-index';
import { ArchiveByMonth1733500000000 } from './migrations/1733500000000-archive-by-month';
import { DeliveryLogById1733600000000 } from './migrations/1733600000000-delivery-log-by-id';
import { RegisterChanges1733700000000 } from './migrations/1733700000000-register-changes';
import { MailChannelAtCommit1733800000000 } from './migrations/1733800000000-mail-channel-at-commit';

export const MIGRATIONS = [
  InitialSchema1732300000000,
  Trust1732400000000,
  Lifecycle1732500000000,
  Bridges1732600000000,
  Audit1732700000000,
  Console1732800000000,
  CertificateHealth1732900000000,
  DeadLetterProperties1733000000000,
  BridgeAuth1733100000000,
  MonthlyPartitions1733200000000,
  Archive1733300000000,
  RegisterSenderIndex1733400000000,
  ArchiveByMonth1733500000000,
  DeliveryLogById1733600000000,
  RegisterChanges1733700000000,
  MailChannelAtCommit1733800000000,
];
export const ENTITIES = [EndpointEntity, OrganAliasEntity, EndpointChangeEntity];

/**
 * `urls`: the primary's, or each host of a primary and its standbys (DATABASE_URL in libpq's
 * multi-host form): pool connections go to whichever accepts writes (PrimaryFinder).
 */
export function dataSourceOptions(hosts: PrimaryFinder, poolSize: number): DataSourceOptions {
  return {
    type: 'postgres',
    url: hosts.urls[0],
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'schema_migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false,
    poolSize,
    extra: { connectionTimeoutMillis: 5000, application_name: 'edoc-bus', Client: hosts.clientClass() },
  };
}

/**
 * Creates the database named in the URL if it does not exist (a fresh clone needs no setup step),
 * on the primary when several hosts are given.
 */
export async function ensureDatabase(hosts: PrimaryFinder): Promise<void> {
  const url = hosts.urls[0]!;
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  if (!name) throw new Error(`DATABASE_URL names no database: ${redactUrl(url)}`);
  let client: Client;
  try {
    // Tries every host: afterwards the pool's connections start on the one that is the primary.
    client = await hosts.connectPrimary({ connectionTimeoutMillis: 5000 }, 'postgres');
  } catch (error) {
    throw new InfrastructureUnavailableError('postgres', postgresHelp(hosts.urls.join(','), error), {
      cause: error,
    });
  }
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) {
      try {
        await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
      } catch (error) {
        // Another process created it between our check and our CREATE.
        if ((error as { code?: string }).code !== '42P04') throw error;
      }
    }
  } finally {
    await client.end();
  }
}

/** Applies pending migrations under an advisory lock, so two bus processes starting together do not race. */
export async function migrate(dataSource: DataSource): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock(7310001)');
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await runner.query('SELECT pg_advisory_unlock(7310001)').catch(() => undefined);
    await runner.release();
  }
}

/**
 * Why the server's settings put the schema at risk, or null when they do not. Without autovacuum
 * no table is ever analysed or vacuumed: the planner plans the monthly partitions, which grow by
 * hundreds of thousands of rows, without statistics (the bench saw a partition of packages read
 * by a sequential scan about once per document), and the outbox's deleted rows are never
 * reclaimed. Told once at start, where an operator reads it.
 */
export async function statisticsWarning(dataSource: DataSource): Promise<string | null> {
  const [row] = await dataSource.query<Array<{ autovacuum: string; track_counts: string }>>(
    `SELECT current_setting('autovacuum') AS autovacuum, current_setting('track_counts') AS track_counts`,
  );
  if (row?.autovacuum === 'on' && row.track_counts === 'on') return null;
  return (
    `PostgreSQL runs with autovacuum=${row?.autovacuum ?? '?'}, track_counts=${row?.track_counts ?? '?'}: ` +
    'tables are never analysed or vacuumed, so the planner works without statistics on partitions ' +
    'that grow all month and the outbox keeps its dead rows. Set both to on (postgresql.conf).'
  );
}

export function postgresHelp(url: string, error: unknown): string {
  const reason = error instanceof Error ? error.message : String(error);
  return [
    `PostgreSQL is not reachable at ${redactUrls(url)} (${reason}).`,
    'Start it with:  pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
    'or, with Docker: docker compose -f docker/compose.yml up -d postgres',
    'or point DATABASE_URL at a running server.',
  ].join('\n');
}
