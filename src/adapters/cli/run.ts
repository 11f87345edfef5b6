import type { INestApplicationContext } from '@nestjs/common';
import { InvalidCommandError } from '../../modules/shared/command';
import { DomainRuleError, InfrastructureUnavailableError } from '../../modules/shared/errors';
import { ConfigError, loadConfig, type BusConfig } from '../config/bus-config';
import { AdminLogger, openBusContext } from '../app/bootstrap';

/** Opens the bus (database, broker) for one admin command, runs it, closes everything. */
export async function withBus(
  fn: (app: INestApplicationContext, config: BusConfig) => Promise<void>,
): Promise<void> {
  const config = loadConfig();
  const app = await openBusContext(
    { ...config, logLevel: 'warn' },
    new AdminLogger(config.instanceName, { json: false, logLevels: ['fatal', 'error', 'warn'] }),
  );
  try {
    await fn(app, config);
  } finally {
    await app.close();
  }
}

/** Turns the errors a user can act on into one clear message and exit code 1; the rest keep their stack. */
export function reportAndExit(error: unknown): never {
  if (
    error instanceof InfrastructureUnavailableError ||
    error instanceof ConfigError ||
    error instanceof DomainRuleError ||
    error instanceof InvalidCommandError
  ) {
    console.error(`edoc-bus: ${error.message}`);
  } else {
    console.error(error);
  }
  process.exit(1);
}
