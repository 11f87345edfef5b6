import {
  ChangeBridgeAuthentication,
  ChangeBridgeAuthenticationCommand,
} from '../../modules/registry/use-cases/change-bridge-authentication.use-case';
import type { BridgeAuth } from '../../modules/registry/domain/endpoint';
import type { Command } from 'commander';
import { readdirSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { amqpNodesOf, DEFAULT_PKI_DIR } from '../config/bus-config';
import { AddAlias, AddAliasCommand } from '../../modules/registry/use-cases/add-alias.use-case';
import { AddEndpoint, AddEndpointCommand } from '../../modules/registry/use-cases/add-endpoint.use-case';
import {
  ChangeEndpointStatus,
  ChangeEndpointStatusCommand,
  type StatusAction,
} from '../../modules/registry/use-cases/change-endpoint-status.use-case';
import {
  ChangeSignaturePolicy,
  ChangeSignaturePolicyCommand,
} from '../../modules/registry/use-cases/change-signature-policy.use-case';
import { ListEndpoints } from '../../modules/registry/use-cases/list-endpoints.use-case';
import type { SignaturePolicy } from '../../modules/trust/policy/signature-policy';
import {
  ChangeEndpointTransport,
  ChangeEndpointTransportCommand,
} from '../../modules/registry/use-cases/change-endpoint-transport.use-case';
import { ProvisionEndpoints } from '../../modules/registry/use-cases/provision-endpoints.use-case';
import { SeedEndpoints } from '../../modules/registry/use-cases/seed-endpoints.use-case';
import type { Transport } from '../../modules/registry/domain/endpoint';
import { DEFAULT_CREDENTIALS_DIR, writeBridgeCredentials, writeCredentials } from './credentials';
import { withBus } from './run';
import { formatTable } from './table';

export function operator(): string {
  return `cli:${userInfo().username}`;
}

export function registerEndpointCommands(program: Command): void {
  const endpoints = program.command('endpoints').description('the registry of connection points');

  endpoints
    .command('seed')
    .description('load the 95 endpoints of 2019 and the 2025 merger aliases (never overwrites)')
    .action(() =>
      withBus(async (app) => {
        const r = await app.get(SeedEndpoints).execute();
        console.log(
          `endpoints: ${r.endpointsInserted} added, ${r.endpointsTotal} in the registry; aliases: ${r.aliasesInserted} added`,
        );
      }),
    );

  endpoints
    .command('list')
    .description('list endpoints and aliases')
    .option('--json', 'machine-readable output')
    .action((opts: { json?: boolean }) =>
      withBus(async (app) => {
        const { endpoints: list, aliases } = await app.get(ListEndpoints).execute();
        if (opts.json) {
          console.log(JSON.stringify({ endpoints: list, aliases }, null, 2));
          return;
        }
        console.log(
          formatTable(
            ['organ id', 'QĐ 20', 'name', 'kind', 'transport', 'signatures', 'bridge auth', 'status'],
            list.map((e) => [
              e.organId,
              e.codeQd20 ?? '',
              e.name,
              e.category,
              e.transport,
              e.signaturePolicy,
              e.transport === 'bridge' ? e.bridgeAuth : '',
              e.status + (e.statusReason ? ` (${e.statusReason})` : ''),
            ]),
          ),
        );
        console.log(`\n${list.length} endpoints, ${aliases.length} aliases`);
      }),
    );

  endpoints
    .command('add <code>')
    .description('register an endpoint (code in QCVN 102 or Decision 20/2020 form)')
    .requiredOption('--name <name>', 'the organ name')
    .option('--transport <transport>', 'amqp or bridge', 'amqp')
    .option('--update', 'change an existing endpoint')
    .action((code: string, opts: { name: string; transport: Transport; update?: boolean }) =>
      withBus(async (app) => {
        const e = await app.get(AddEndpoint).execute(
          AddEndpointCommand.create({
            code,
            name: opts.name,
            transport: opts.transport,
            update: opts.update,
            actor: operator(),
          }),
        );
        console.log(`${e.organId} (${e.codeQd20 ?? 'no QĐ 20 form'}) ${e.name}: ${e.transport}, ${e.status}`);
      }),
    );

  for (const [action, help] of [
    ['lock', 'refuse its packages and stop routing to it'],
    ['unlock', 'let it send and receive again'],
    ['close', 'retire it; its mail follows its alias, if any'],
  ] as Array<[StatusAction, string]>) {
    endpoints
      .command(`${action} <code>`)
      .description(help)
      .requiredOption('--reason <text>', 'why (kept with the change)')
      .action((code: string, opts: { reason: string }) =>
        withBus(async (app) => {
          const e = await app
            .get(ChangeEndpointStatus)
            .execute(
              ChangeEndpointStatusCommand.create({ code, action, reason: opts.reason, actor: operator() }),
            );
          console.log(`${e.organId} is now ${e.status}`);
        }),
      );
  }

  endpoints
    .command('policy <code> <policy>')
    .description('set how its signatures are checked: strict | legacy-sha1 | transition-unsigned')
    .requiredOption('--reason <text>', 'why (kept with the change)')
    .action((code: string, policy: SignaturePolicy, opts: { reason: string }) =>
      withBus(async (app) => {
        const e = await app
          .get(ChangeSignaturePolicy)
          .execute(
            ChangeSignaturePolicyCommand.create({ code, policy, reason: opts.reason, actor: operator() }),
          );
        console.log(`${e.organId} signature policy: ${e.signaturePolicy}`);
      }),
    );

  endpoints
    .command('auth <code> <mode>')
    .description(
      'what its bridge calls must carry: hmac (its secret) | mtls (its certificate in the TLS handshake) | mtls+hmac',
    )
    .requiredOption('--reason <text>', 'why (kept with the change)')
    .action((code: string, mode: BridgeAuth, opts: { reason: string }) =>
      withBus(async (app) => {
        const e = await app
          .get(ChangeBridgeAuthentication)
          .execute(
            ChangeBridgeAuthenticationCommand.create({ code, mode, reason: opts.reason, actor: operator() }),
          );
        console.log(`${e.organId} bridge authentication: ${e.bridgeAuth}`);
      }),
    );

  endpoints
    .command('alias <closedCode> <successorCode>')
    .description('route mail for a closed organ code to its successor')
    .option('--reason <text>')
    .action((closedCode: string, successorCode: string, opts: { reason?: string }) =>
      withBus(async (app) => {
        const a = await app
          .get(AddAlias)
          .execute(
            AddAliasCommand.create({ closedCode, successorCode, reason: opts.reason, actor: operator() }),
          );
        console.log(`${a.closedCode} → ${a.successorCode}`);
      }),
    );

  endpoints
    .command('transport <code> <transport>')
    .description(
      'move an endpoint between amqp (broker inbox) and bridge (polls over HTTP, SOAP or REST); then provision it',
    )
    .requiredOption('--reason <text>', 'why (kept with the change)')
    .action((code: string, transport: string, opts: { reason: string }) =>
      withBus(async (app) => {
        const e = await app.get(ChangeEndpointTransport).execute(
          ChangeEndpointTransportCommand.create({
            code,
            transport: transport as Transport,
            reason: opts.reason,
            actor: operator(),
          }),
        );
        const moved =
          e.movedMessages > 0
            ? `; ${e.movedMessages} waiting message(s) moved to its ${e.transport === 'bridge' ? 'pull' : 'broker'} inbox`
            : '';
        console.log(
          `${e.organId} now connects over ${e.transport}${moved}; run: edoc-bus endpoints provision ${e.organId}`,
        );
      }),
    );

  endpoints
    .command('provision [codes...]')
    .description(
      'create (or rotate) credentials: AMQP endpoints get a broker user (write edoc.submit, read own inbox); bridge endpoints a system id + HMAC secret and a REST token',
    )
    .option('--credentials-dir <dir>', 'where to write <organ>.json (mode 0600)', DEFAULT_CREDENTIALS_DIR)
    .option(
      '--auth <kind>',
      'AMQP endpoints: password (a broker user named by the organ code) or cert (the organ logs in with its certificate over AMQPS, EXTERNAL; no password exists)',
      'password',
    )
    .option(
      '--cert-dir <dir>',
      'with --auth cert: where each organ’s certificate is, as <organ id>.crt',
      join(DEFAULT_PKI_DIR, 'endpoints'),
    )
    .action((codes: string[], opts: { credentialsDir: string; auth: string; certDir: string }) =>
      withBus(async (app, config) => {
        if (opts.auth !== 'password' && opts.auth !== 'cert') throw new Error('--auth is password or cert');
        const certificates = opts.auth === 'cert' ? readCertificates(opts.certDir) : undefined;
        const issued = await app.get(ProvisionEndpoints).execute({ codes, actor: operator(), certificates });
        for (const c of issued)
          if (c.transport === 'amqp') writeCredentials(opts.credentialsDir, amqpNodesOf(config).join(','), c);
          else writeBridgeCredentials(opts.credentialsDir, c);
        console.log(
          `provisioned ${issued.length} endpoints; credentials in ${opts.credentialsDir}/<organ id>.json`,
        );
      }),
    );
}

/** `<organ id>.crt` files of a folder, by organ code. */
function readCertificates(dir: string): Map<string, string> {
  const certificates = new Map<string, string>();
  for (const file of readdirSync(dir)) {
    if (file.endsWith('.crt')) certificates.set(file.slice(0, -4), readFileSync(join(dir, file), 'utf8'));
  }
  return certificates;
}
