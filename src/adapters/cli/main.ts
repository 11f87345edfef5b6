#!/usr/bin/env node
import 'reflect-metadata';
import { Command } from 'commander';
import type { Server } from 'node:http';
import { DataSource } from 'typeorm';
import { loadConfig } from '../config/bus-config';
import { busListener, busLogger, closeOnSignals, startBus } from '../app/bootstrap';
import { registerDemoCommand } from './demo.command';
import { registerAuditCommands } from './audit.commands';
import { registerArchiveCommands } from './archive.commands';
import { registerUserCommands } from './users.commands';
import { registerDeadLetterCommands } from './dlq.commands';
import { registerEndpointCommands } from './endpoints.commands';
import { registerPkiCommands } from './pki.commands';
import { reportAndExit, withBus } from './run';
import { registerSendCommand } from './send.command';

const program = new Command('edoc-bus')
  .description('National document interconnection bus (edXML, QCVN 102:2016) over RabbitMQ and PostgreSQL')
  .showHelpAfterError();

program
  .command('serve')
  .description('run the bus: consume edoc.ingress, deliver, relay statuses; HTTP health and metrics')
  .action(async () => {
    const config = loadConfig();
    const logger = busLogger(config);
    const app = await startBus(config, logger);
    closeOnSignals(app, logger);
    const listening = busListener(app);
    logger.log(
      `edoc-bus listening on ${listening.secure ? 'https' : 'http'} :${listening.address().port} (health /health/ready, metrics /metrics)`,
    );
    const server = app.getHttpServer() as Server;
    await new Promise<void>((resolve) => server.on('close', () => resolve()));
  });

program
  .command('migrate')
  .description('create the database if missing and apply pending migrations')
  .action(() =>
    withBus(async (app) => {
      const migrations = await app
        .get(DataSource)
        .query<unknown[]>('SELECT name FROM schema_migrations ORDER BY id');
      console.log(`schema up to date (${migrations.length} migrations applied)`);
    }),
  );

registerEndpointCommands(program);
registerPkiCommands(program);
registerSendCommand(program);
registerDeadLetterCommands(program);
registerAuditCommands(program);
registerArchiveCommands(program);
registerUserCommands(program);
registerDemoCommand(program);

program.parseAsync(process.argv).catch(reportAndExit);
