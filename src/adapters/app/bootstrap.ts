import {
  ConsoleLogger,
  type INestApplication,
  type INestApplicationContext,
  type LogLevel,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ConfigError, type BusConfig } from '../config/bus-config';
import { mountSoapBridge } from '../soap/soap-bridge';
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
  requireTrust(config);
  const app = await NestFactory.create(BusModule.forRoot(config, { http: true, ingress: true }), {
    logger,
    abortOnError: false,
    bodyParser: false,
  });
  app.enableShutdownHooks();
  await mountSoapBridge(app, config);
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

/**
 * A bus that checks signatures needs roots to check them against and a key to sign its receipts.
 * Refuse to start without them, and say how to get them.
 */
export function requireTrust(config: BusConfig): void {
  const problems: string[] = [];
  if (!config.trust.anchorsPem.includes('BEGIN CERTIFICATE'))
    problems.push('no trust anchors (TRUST_ANCHORS)');
  if (!config.busSigning) problems.push('no key to sign receipts (BUS_SIGNING_KEY, BUS_SIGNING_CERT)');
  if (problems.length > 0) {
    throw new ConfigError([
      ...problems,
      'for development and tests: `edoc-bus pki init` writes a test PKI to certs/generated, which is used by default;',
      'in production: point TRUST_ANCHORS/TRUST_INTERMEDIATES at the government roots and issuing CAs.',
    ]);
  }
}
