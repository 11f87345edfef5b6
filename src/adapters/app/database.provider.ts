import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { InfrastructureUnavailableError } from '../../modules/shared/errors';
import { databaseNodesOf, type BusConfig } from '../config/bus-config';
import { PrimaryFinder } from '../postgres/primary-finder';
import {
  dataSourceOptions,
  ensureDatabase,
  migrate,
  postgresHelp,
  statisticsWarning,
} from '../postgres/database';

/**
 * Creates the database if needed, connects and applies migrations: the bus never runs on an old
 * schema. `checkSettings`: warn about server settings that hurt it (a serving bus).
 */
export async function openDatabase(
  config: BusConfig,
  { checkSettings }: { checkSettings: boolean },
): Promise<DataSource> {
  const hosts = new PrimaryFinder(databaseNodesOf(config));
  await ensureDatabase(hosts);
  const dataSource = new DataSource(dataSourceOptions(hosts, config.dbPoolSize));
  try {
    await dataSource.initialize();
  } catch (error) {
    throw new InfrastructureUnavailableError('postgres', postgresHelp(hosts.urls.join(','), error), {
      cause: error,
    });
  }
  const applied = await migrate(dataSource);
  const logger = new Logger('database');
  if (applied.length > 0) logger.log(`applied migrations: ${applied.join(', ')}`);
  const warning = checkSettings ? await statisticsWarning(dataSource).catch(() => null) : null;
  if (warning) logger.warn(warning);
  return dataSource;
}
