import { DataSource } from 'typeorm';
import { MIGRATIONS } from '../../src/adapters/postgres/database';

/**
 * Applies the bus's migrations (the first `upTo`, or all) to the database at `url`, as the bus
 * would at start but without its pool: for tests that build a database to copy or to upgrade.
 */
export async function migrateDatabase(url: string, upTo = MIGRATIONS.length): Promise<void> {
  const db = new DataSource({
    type: 'postgres',
    url,
    migrations: MIGRATIONS.slice(0, upTo),
    migrationsTableName: 'schema_migrations',
    migrationsTransactionMode: 'each',
  });
  await db.initialize();
  try {
    await db.runMigrations();
  } finally {
    await db.destroy();
  }
}
