import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { InfrastructureUnavailableError } from '../../modules/shared/errors';
import type { BusConfig } from '../config/bus-config';
import { dataSourceOptions, ensureDatabase, migrate, postgresHelp } from '../postgres/database';

/** Creates the database if needed, connects and applies migrations: the bus never runs on an old schema. */
export async function openDatabase(config: BusConfig): Promise<DataSource> {
  await ensureDatabase(config.databaseUrl);
  const dataSource = new DataSource(dataSourceOptions(config.databaseUrl, config.dbPoolSize));
  try {
    await dataSource.initialize();
  } catch (error) {
    throw new InfrastructureUnavailableError('postgres', postgresHelp(config.databaseUrl, error), {
      cause: error,
    });
  }
  const applied = await migrate(dataSource);
  if (applied.length > 0) new Logger('database').log(`applied migrations: ${applied.join(', ')}`);
  return dataSource;
}
