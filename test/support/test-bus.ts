import type { INestApplication } from '@nestjs/common';
import { ConsoleLogger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import {
  EdocBusClient,
  type ReceivedDocument,
  type ReceivedReceipt,
  type ReceivedStatus,
  type ReceivedWithdrawal,
} from '../../src/adapters/amqp/sdk';
import { busListener, startBus } from '../../src/adapters/app/bootstrap';
import { endpointAmqpUrl } from '../../src/adapters/cli/credentials';
import {
  amqpNodesOf,
  databaseNodesOf,
  databaseUrlsOf,
  loadConfig,
  type AmqpTls,
  type BusConfig,
} from '../../src/adapters/config/bus-config';
import { PrimaryFinder } from '../../src/adapters/postgres/primary-finder';
import { RabbitManagementClient } from '../../src/adapters/amqp/admin/management-client';
import type { BrokerCredentials } from '../../src/modules/registry/broker-access.port';
import { ProvisionEndpoints } from '../../src/modules/registry/use-cases/provision-endpoints.use-case';
import { SeedEndpoints } from '../../src/modules/registry/use-cases/seed-endpoints.use-case';
import { testServices, waitFor } from './infrastructure';
import {
  ChangeEndpointTransport,
  ChangeEndpointTransportCommand,
} from '../../src/modules/registry/use-cases/change-endpoint-transport.use-case';
import type { IssuedBridgeCredentials } from '../../src/modules/registry/bridge-credentials.port';
import { TestTrust } from './test-trust';
import { SigningPool, type SigningCredentials } from '../../src/adapters/workers/signing-pool';

/** What an endpoint's inbox has received, collected by a real SDK client. */
export class Inbox {
  readonly documents: ReceivedDocument[] = [];
  readonly statuses: ReceivedStatus[] = [];
  readonly receipts: ReceivedReceipt[] = [];
  readonly withdrawals: ReceivedWithdrawal[] = [];

  constructor(readonly client: EdocBusClient) {
    client.onDocument((d) => void this.documents.push(d));
    client.onStatus((s) => void this.statuses.push(s));
    client.onReceipt((r) => void this.receipts.push(r));
    client.onWithdrawal((w) => void this.withdrawals.push(w));
  }

  receiptFor(messageId: string, timeoutMs?: number): Promise<ReceivedReceipt> {
    return waitFor(
      () => this.receipts.find((r) => r.correlationId === messageId),
      `receipt for ${messageId}`,
      timeoutMs,
    );
  }
}

/**
 * A complete bus for one test file: its own database and its own RabbitMQ vhost (created here,
 * dropped in close()), the real Nest application with the ingress consumer and the outbox relay,
 * and real SDK clients connecting as provisioned endpoints.
 */
export class TestBus {
  private readonly clients: EdocBusClient[] = [];
  private readonly credentials = new Map<string, BrokerCredentials>();

  private constructor(
    private currentApp: INestApplication | null,
    readonly config: BusConfig,
    private readonly database: string,
    readonly vhost: string,
    readonly management: RabbitManagementClient,
    readonly trust: TestTrust,
  ) {}

  static async start(
    overrides: Partial<BusConfig> = {},
    options: {
      trust?: TestTrust;
      /**
       * Another broker than the machine's (a TLS node of the test's own, or a cluster: its nodes'
       * URLs comma-separated in both).
       */
      broker?: { amqpUrl: string; managementUrl: string; tls: AmqpTls | null };
      /**
       * Another PostgreSQL server, or the same one reached otherwise (a URL with TLS parameters),
       * or a primary and its standby (libpq's multi-host form).
       */
      databaseUrl?: string;
    } = {},
  ): Promise<TestBus> {
    const services = {
      ...testServices(),
      ...(options.broker ?? {}),
      ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}),
    };
    const trust = options.trust ?? (await TestTrust.start());
    const suffix = `${process.pid}_${randomBytes(4).toString('hex')}`;
    const database = `edoc_test_${suffix}`;
    const vhost = `edoc-test-${suffix}`;
    // Broker users are global, not per vhost: this bus's endpoints get users of their own, so a
    // test never rotates the password of a live bus's endpoint on the same broker.
    const brokerUserPrefix = `${vhost}.`;
    const management = new RabbitManagementClient(services.managementUrl);
    await management.putVhost(vhost);
    await management.putPermissions(vhost, new URL(services.amqpUrl.split(',')[0]!).username || 'guest', {
      configure: '.*',
      write: '.*',
      read: '.*',
    });
    const [databaseUrl, ...databaseFailoverUrls] = databaseUrlsOf(services.databaseUrl).map((host) => {
      const u = new URL(host);
      u.pathname = `/${database}`;
      return u.toString();
    });
    const [amqpUrl, ...amqpFailoverUrls] = services.amqpUrl.split(',').map((node) => {
      const u = new URL(node);
      u.pathname = `/${encodeURIComponent(vhost)}`;
      return u.toString();
    });
    const config = loadConfig(
      {
        BRIDGE_SECRETS_KEY_FILE: join(tmpdir(), `edoc-bridge-${suffix}.key`),
        BRIDGE_SPOOL_DIR: join(tmpdir(), `edoc-spool-${suffix}`),
      },
      {
        databaseUrl: databaseUrl!,
        databaseFailoverUrls,
        amqpUrl: amqpUrl!,
        amqpFailoverUrls,
        managementUrl: services.managementUrl,
        amqpTls: options.broker?.tls ?? null,
        brokerUserPrefix,
        port: 0,
        // Plain HTTP unless a test asks for TLS (tls.test.ts), whatever certs/generated holds.
        tls: null,
        inspectionThreads: 2,
        directoryTtlMs: 0,
        outboxSweepIntervalMs: 200,
        outboxLeaseSeconds: 2,
        logLevel: 'warn',
        ...(await trust.busConfig()),
        ...overrides,
      },
    );
    let app: INestApplication;
    try {
      app = await startBus(config, new ConsoleLogger('test-bus', { logLevels: ['error', 'warn'] }));
    } catch (error) {
      // A bus that could not start leaves nothing behind on the shared broker.
      await management.deleteVhost(vhost).catch(() => undefined);
      rmSync(config.bridge.secretsKeyFile, { force: true });
      throw error;
    }
    return new TestBus(app, config, database, vhost, management, trust);
  }

  get app(): INestApplication {
    if (!this.currentApp) throw new Error('the bus is stopped');
    return this.currentApp;
  }

  /** Stops the bus process's part (consumers, relay, database pool); database and vhost stay. */
  async stopApp(): Promise<void> {
    const app = this.currentApp;
    this.currentApp = null;
    await app?.close();
  }

  /** Starts the bus again on the same database and vhost (after stopApp, or another process's crash). */
  async restartApp(): Promise<void> {
    if (this.currentApp) throw new Error('the bus is running');
    this.currentApp = await startBus(
      this.config,
      new ConsoleLogger('test-bus', { logLevels: ['error', 'warn'] }),
    );
  }

  /** `http(s)://127.0.0.1:<port>` of this bus's HTTP server. */
  httpBase(): string {
    return busListener(this.app).localUrl();
  }

  get<T>(token: abstract new (...args: never[]) => T): T {
    return this.app.get(token as never);
  }

  async seed(): Promise<void> {
    await this.get(SeedEndpoints).execute();
  }

  /**
   * Gives an endpoint its broker login: a password user or, on a bus whose broker speaks AMQPS,
   * its organ's certificate (EXTERNAL), as a deployment over TLS does.
   */
  async provision(organId: string): Promise<BrokerCredentials> {
    const certificates = this.config.amqpTls
      ? new Map([[organId, (await this.trust.signing(organId)).certificatePem]])
      : undefined;
    const [c] = await this.get(ProvisionEndpoints).execute({ codes: [organId], actor: 'test', certificates });
    if (c?.transport !== 'amqp') throw new Error(`${organId} is not an AMQP endpoint`);
    this.credentials.set(organId, c);
    return c;
  }

  /** Moves an endpoint to the bridge transport and issues its bridge credentials. */
  async provisionBridge(organId: string): Promise<IssuedBridgeCredentials> {
    await this.get(ChangeEndpointTransport).execute(
      ChangeEndpointTransportCommand.create({
        code: organId,
        transport: 'bridge',
        reason: 'test',
        actor: 'test',
      }),
    );
    const [c] = await this.get(ProvisionEndpoints).execute({ codes: [organId], actor: 'test' });
    if (c?.transport !== 'bridge') throw new Error(`${organId} did not become a bridge endpoint`);
    return c;
  }

  /** The broker user of an endpoint of this bus. */
  brokerUser(organId: string): string {
    return `${this.config.brokerUserPrefix}${organId}`;
  }

  endpointUrl(organId: string): string {
    const c = this.credentials.get(organId);
    if (!c) throw new Error(`${organId} was not provisioned in this test`);
    return endpointAmqpUrl(amqpNodesOf(this.config).join(','), c);
  }

  /**
   * Provisions the endpoint and connects a real SDK client that records its inbox. The client signs
   * what it sends with the endpoint's certificate from the test PKI unless `signing` says otherwise
   * (`null`: sends unsigned).
   */
  async inbox(
    organId: string,
    options: {
      autoArrivedStatus?: boolean;
      signing?: SigningCredentials | null;
      prefetch?: number;
      /** Runs before the client starts consuming (to replace handlers). */
      beforeStart?: (inbox: Inbox) => void;
    } = {},
  ): Promise<Inbox> {
    if (!this.credentials.has(organId)) await this.provision(organId);
    const signing =
      options.signing === undefined ? await this.trust.signing(organId) : (options.signing ?? undefined);
    const login = this.config.amqpTls ? await this.trust.signing(organId) : null;
    const client = await EdocBusClient.connect({
      url: this.endpointUrl(organId),
      organId,
      ...(login
        ? {
            tls: {
              caPem: this.config.amqpTls?.caPem ?? undefined,
              certificatePem: login.certificatePem,
              keyPem: login.keyPem,
            },
          }
        : {}),
      autoArrivedStatus: options.autoArrivedStatus ?? false,
      signing,
      prefetch: options.prefetch,
    });
    this.clients.push(client);
    const inbox = new Inbox(client);
    options.beforeStart?.(inbox);
    await client.start();
    return inbox;
  }

  /** A query on this bus's database; works while the bus is stopped (after a crash) as well. */
  async query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    if (this.currentApp) return this.get(DataSource).query<T[]>(sql, params);
    const client = await new PrimaryFinder(databaseNodesOf(this.config)).connectPrimary();
    try {
      return (await client.query(sql, params)).rows as T[];
    } finally {
      await client.end();
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.close()));
    await this.currentApp?.close();
    await this.trust.close();
    await SigningPool.instance.close();
    await this.management.deleteVhost(this.vhost);
    await this.management.deleteUsersNamed(this.config.brokerUserPrefix);
    rmSync(this.config.bridge.secretsKeyFile, { force: true });
    rmSync(this.config.bridge.spoolDirectory, { recursive: true, force: true });
    // On the primary of the moment (a failover test may have promoted the standby).
    const admin = await new PrimaryFinder(databaseNodesOf(this.config)).connectPrimary({}, 'postgres');
    try {
      await admin.query(`DROP DATABASE IF EXISTS "${this.database}" WITH (FORCE)`);
    } finally {
      await admin.end();
    }
  }
}
