import {
  ConsoleLogger,
  type INestApplication,
  type INestApplicationContext,
  type LoggerService,
  type LogLevel,
  type NestApplicationOptions,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { BusListener, HttpEndpoint, httpsOptions, strictTransportSecurity } from '../http/bus-listener';
import { ConfigError, type BusConfig } from '../config/bus-config';
import { SoapBridge } from '../http/soap/soap-bridge';
import { BusModule } from './bus.module';

const LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

export function busLogger(config: BusConfig, json = process.stdout.isTTY !== true): ConsoleLogger {
  return new ConsoleLogger(config.instanceName, {
    json,
    logLevels: LEVELS.slice(0, LEVELS.indexOf(config.logLevel) + 1),
  });
}

/**
 * The logger of the CLI's admin commands: everything on stderr, because their stdout is their
 * answer (`--json` output, a receipt) and a warning there would break whoever reads it.
 */
export class AdminLogger extends ConsoleLogger {
  protected override printMessages(
    messages: unknown[],
    context?: string,
    logLevel?: LogLevel,
    _stream?: 'stdout' | 'stderr',
    errorStack?: unknown,
  ): void {
    super.printMessages(messages, context, logLevel, 'stderr', errorStack);
  }
}

/** The serving bus: HTTP (health, metrics, bridges, console) and the ingress consumer. */
export async function startBus(config: BusConfig, logger = busLogger(config)): Promise<INestApplication> {
  requireTrust(config);
  const app = await NestFactory.create<NestExpressApplication>(
    BusModule.forRoot(config, { http: true, ingress: true }),
    {
      logger,
      abortOnError: false,
      bodyParser: false,
      // Nest passes these to https.createServer as they are; its type is narrower than Node's.
      ...(config.tls
        ? { httpsOptions: httpsOptions(config.tls) as NestApplicationOptions['httpsOptions'] }
        : {}),
    },
  );
  // X-Forwarded-Proto and -For are believed from these addresses only (req.secure, req.ip).
  app.set('trust proxy', config.trustedProxies.length > 0 ? config.trustedProxies : false);
  app.use(strictTransportSecurity);
  try {
    await app.get(SoapBridge).mount(app);
    app.get(HttpEndpoint).listener = await BusListener.listen(app, config.port, config.tls);
  } catch (error) {
    // A bus that cannot start (broker or database unreachable) lets go of what it had opened —
    // database pool, inspection threads — so that its process can exit with the error.
    await app.close().catch(() => undefined);
    throw error;
  }
  return app;
}

/** The serving bus's listener: its address, and whether it speaks TLS. */
export function busListener(app: INestApplication): BusListener {
  const listener = app.get(HttpEndpoint).listener;
  if (!listener) throw new Error('this bus does not listen');
  return listener;
}

/**
 * SIGTERM / SIGINT: stop taking packages (consumers cancelled first), let those in hand finish and
 * their confirms arrive, close the broker and the database, exit 0. Bounded: a shutdown that hangs
 * exits 1 after `graceMs` (whatever was not acknowledged is redelivered to the next bus).
 */
export function closeOnSignals(app: INestApplication, logger: LoggerService, graceMs = 30_000): void {
  const stop = (signal: NodeJS.Signals) => {
    logger.log(`${signal}: stopping — no new packages, finishing the ones in hand`);
    setTimeout(() => {
      logger.error(`shutdown took more than ${graceMs / 1000} s; exiting`);
      process.exit(1);
    }, graceMs).unref();
    app.close().then(
      () => {
        logger.log('stopped cleanly');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error(`shutdown failed: ${String(error)}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
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
