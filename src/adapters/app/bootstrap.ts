import {
  ConsoleLogger,
  type INestApplication,
  type INestApplicationContext,
  type LogLevel,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { BusConfig } from '../config/bus-config';
import { BusModule } from './bus.module';

const LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

export function busLogger(config: BusConfig, json = process.stdout.isTTY !== true): ConsoleLogger {
  return new ConsoleLogger(config.instanceName, {
    json,
    logLevels: LEVELS.slice(0, LEVELS.indexOf(config.logLevel) + 1),
  });
}

/** The serving bus: HTTP (health, metrics) and the ingress consumer, shutting down cleanly on SIGTERM. */
export async function startBus(config: BusConfig, logger = busLogger(config)): Promise<INestApplication> {
  const app = await NestFactory.create(BusModule.forRoot(config, { http: true, ingress: true }), {
    logger,
    abortOnError: false,
    bodyParser: false,
  });
  app.enableShutdownHooks();
  await app.listen(config.port, '0.0.0.0');
  return app;
}

/** The bus without serving: for admin commands that call use cases directly. */
export async function openBusContext(
  config: BusConfig,
  logger = busLogger(config),
): Promise<INestApplicationContext> {
  return NestFactory.createApplicationContext(BusModule.forRoot(config, { http: false, ingress: false }), {
    logger,
    abortOnError: false,
  });
}
