import {
  Inject,
  Injectable,
  Module,
  type BeforeApplicationShutdown,
  type DynamicModule,
  type OnApplicationBootstrap,
  type Provider,
} from '@nestjs/common';
import { createPrivateKey } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ReceiptSigner } from '../../modules/delivery/receipt-signer.port';
import { DeadLetterRepository } from '../../modules/dead-letters/dead-letter-repository.port';
import {
  ListDeadLetters,
  ShowDeadLetter,
} from '../../modules/dead-letters/use-cases/list-dead-letters.use-case';
import { RecordDeadLetter } from '../../modules/dead-letters/use-cases/record-dead-letter.use-case';
import { RedeliverDeadLetter } from '../../modules/dead-letters/use-cases/redeliver-dead-letter.use-case';
import { DeliveryRepository } from '../../modules/delivery/delivery-repository.port';
import { LifecycleSettings } from '../../modules/delivery/lifecycle-settings';
import { AcknowledgeDelivery } from '../../modules/routing/use-cases/acknowledge-delivery/acknowledge-delivery.use-case';
import { FlagOverdueCopies } from '../../modules/delivery/use-cases/flag-overdue-copies.use-case';
import { GetDocumentTrace } from '../../modules/delivery/use-cases/get-document-trace.use-case';
import { PgDeadLetterRepository } from '../postgres/pg-dead-letter.repository';
import { PgDeliveryRepository } from '../postgres/pg-delivery.repository';
import { DeadlineSweeper } from './deadline-sweeper';
import { MonthCalendar } from './month-calendar';
import { retentionProviders } from './retention.providers';
import { LocateArchivedDocument } from '../../modules/retention/use-cases/locate-archived-document.use-case';
import { KillAfterCommitDispatcher } from './fault-injection';
import { ChangeSignaturePolicy } from '../../modules/registry/use-cases/change-signature-policy.use-case';
import { ChangeBridgeAuthentication } from '../../modules/registry/use-cases/change-bridge-authentication.use-case';
import { AssessSignature, TrustSettings } from '../../modules/trust/assess-signature.use-case';
import { derFromPem } from '../../modules/trust/pki/certificate-facts';
import { RevocationChecker } from '../../modules/trust/revocation/revocation-checker';
import { ChainValidator } from '../../modules/trust/pki/chain-validator';
import { TrustStore } from '../../modules/trust/pki/trust-store';
import {
  RevocationFetcher,
  RevocationSettings,
  RevocationStore,
} from '../../modules/trust/revocation/revocation-sources.port';
import { CanonicalSigner } from '../../modules/trust/xmldsig/canonical-signer';
import { HttpRevocationFetcher } from '../pki/http-revocation-fetcher';
import { PgRevocationStore } from '../postgres/pg-revocation.repository';
import { PackageInspection } from '../../modules/edoc/inspection/package-inspection.port';
import { BrokerAccessProvisioner } from '../../modules/registry/broker-access.port';
import { Directory, DIRECTORY_TTL_MS } from '../../modules/registry/directory';
import { EndpointRepository } from '../../modules/registry/endpoint-repository.port';
import { AddAlias } from '../../modules/registry/use-cases/add-alias.use-case';
import { AddEndpoint } from '../../modules/registry/use-cases/add-endpoint.use-case';
import { ChangeEndpointStatus } from '../../modules/registry/use-cases/change-endpoint-status.use-case';
import { ChangeEndpointTransport } from '../../modules/registry/use-cases/change-endpoint-transport.use-case';
import { ListEndpoints } from '../../modules/registry/use-cases/list-endpoints.use-case';
import { ProvisionEndpoints } from '../../modules/registry/use-cases/provision-endpoints.use-case';
import { SeedEndpoints } from '../../modules/registry/use-cases/seed-endpoints.use-case';
import { OutboxDispatcher } from '../../modules/delivery/outbox-dispatcher.port';
import { SubmissionMetrics } from '../../modules/routing/submission-metrics.port';
import { SubmissionSettings } from '../../modules/routing/submission-settings';
import { SubmissionRepository } from '../../modules/routing/submission-repository.port';
import { AcceptDocument } from '../../modules/routing/use-cases/submit-package/accept-document.use-case';
import { AcceptStatus } from '../../modules/routing/use-cases/submit-package/accept-status.use-case';
import { ReceiptIssuer } from '../../modules/delivery/receipt-issuer';
import { RejectPackage } from '../../modules/routing/use-cases/submit-package/reject-package.use-case';
import { SubmitPackage } from '../../modules/routing/use-cases/submit-package/submit-package.use-case';
import { Clock, SystemClock } from '../../modules/shared/clock';
import { IdGenerator, Uuid7Generator } from '../../modules/shared/ids';
import { BUS_CONFIG, type BusConfig } from '../config/bus-config';
import { HealthController } from './health.controller';
import { HttpEndpoint } from '../http/bus-listener';
import { BusMetrics } from '../http/metrics';
import { MetricsController } from './metrics.controller';
import { PgEndpointRepository } from '../postgres/pg-endpoint.repository';
import { PgOutboxStore } from '../postgres/pg-outbox.repository';
import { OutboxStore } from '../../modules/delivery/outbox-store.port';
import { PgSubmissionRepository } from '../postgres/pg-submission.repository';
import { OUTBOX_LEASE_SECONDS } from '../postgres/tokens';
import { RabbitBrokerAccess } from '../amqp/admin/rabbit-broker-access';
import { vhostOf } from '../amqp/admin/management-client';
import { InspectionPool } from '../workers/inspection-pool';
import { AmqpRuntime } from './amqp-runtime';
import { bridgeProviders } from './bridge.providers';
import { AuditSealer, auditProviders } from './audit.providers';
import { consoleProviders } from './console.providers';
import { ConsoleController } from '../http/console/console.controller';
import { PgPullInbox } from '../postgres/pg-pull-inbox.repository';
import { AxisController } from '../http/axis/axis.controller';
import { RestController } from '../http/rest/rest.controller';
import { openDatabase } from './database.provider';

export interface BusModuleOptions {
  /** Serve HTTP (health, metrics). */
  http: boolean;
  /** Consume `edoc.ingress` and the dead letters, and watch deadlines (a serving bus). */
  ingress: boolean;
}

const USE_CASES = [
  SubmitPackage,
  AcceptDocument,
  AcceptStatus,
  RejectPackage,
  ReceiptIssuer,
  SeedEndpoints,
  AddEndpoint,
  ChangeEndpointStatus,
  ChangeEndpointTransport,
  ListEndpoints,
  AddAlias,
  ProvisionEndpoints,
  ChangeSignaturePolicy,
  ChangeBridgeAuthentication,
  Directory,
  AcknowledgeDelivery,
  GetDocumentTrace,
  FlagOverdueCopies,
  RecordDeadLetter,
  ListDeadLetters,
  ShowDeadLetter,
  RedeliverDeadLetter,
];

/** The bus signs its receipts with its own key; an admin context that issues none may run without one. */
function receiptSigner(config: BusConfig): ReceiptSigner {
  if (!config.busSigning) {
    return {
      sign: () => {
        throw new Error('no bus signing key configured (BUS_SIGNING_KEY, BUS_SIGNING_CERT)');
      },
    };
  }
  return new CanonicalSigner({
    privateKey: createPrivateKey(config.busSigning.keyPem),
    certificates: derFromPem(config.busSigning.certPem),
  });
}

/** Starts the broker side once every provider exists, and stops it before the database closes. */
@Injectable()
class Lifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    private readonly amqp: AmqpRuntime,
    private readonly submitPackage: SubmitPackage,
    private readonly acknowledgeDelivery: AcknowledgeDelivery,
    private readonly getDocumentTrace: GetDocumentTrace,
    private readonly locateArchivedDocument: LocateArchivedDocument,
    private readonly recordDeadLetter: RecordDeadLetter,
    @Inject(DeadlineSweeper) private readonly deadlines: DeadlineSweeper | null,
    @Inject(AuditSealer) private readonly auditSealer: AuditSealer | null,
    @Inject(MonthCalendar) private readonly months: MonthCalendar | null,
    @Inject(Clock) private readonly clock: Clock,
    @Inject(PackageInspection) private readonly inspection: InspectionPool,
    private readonly db: DataSource,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // Before the first document: its month's partitions must exist.
    await this.months?.start();
    await this.amqp.start(
      {
        submitPackage: this.submitPackage,
        acknowledgeDelivery: this.acknowledgeDelivery,
        getDocumentTrace: this.getDocumentTrace,
        locateArchivedDocument: this.locateArchivedDocument,
        recordDeadLetter: this.recordDeadLetter,
      },
      this.clock,
    );
    this.deadlines?.start();
    this.auditSealer?.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.deadlines?.stop();
    await this.auditSealer?.stop();
    this.months?.stop();
    await this.amqp.stop();
    await this.inspection.close();
    await this.db.destroy();
  }
}

/**
 * The composition root: binds every port of src/modules to its adapter. The same module serves
 * `edoc-bus serve` (HTTP + ingress) and the CLI's admin commands (neither).
 */
@Module({})
export class BusModule {
  static forRoot(config: BusConfig, options: BusModuleOptions): DynamicModule {
    const providers: Provider[] = [
      { provide: BUS_CONFIG, useValue: config },
      { provide: DataSource, useFactory: () => openDatabase(config) },
      { provide: Clock, useClass: SystemClock },
      { provide: IdGenerator, useClass: Uuid7Generator },
      { provide: DIRECTORY_TTL_MS, useValue: config.directoryTtlMs },
      { provide: OUTBOX_LEASE_SECONDS, useValue: config.outboxLeaseSeconds },
      { provide: EndpointRepository, useClass: PgEndpointRepository },
      { provide: SubmissionRepository, useClass: PgSubmissionRepository },
      { provide: DeliveryRepository, useClass: PgDeliveryRepository },
      { provide: DeadLetterRepository, useClass: PgDeadLetterRepository },
      {
        provide: LifecycleSettings,
        useValue: {
          arrivalSeconds: config.deadlines.arrivalSeconds,
          decisionSeconds: config.deadlines.decisionSeconds,
        },
      },
      { provide: OutboxStore, useClass: PgOutboxStore },
      {
        provide: SubmissionSettings,
        useValue: { xmlLimits: config.xmlLimits, quarantineMaxStoredBytes: config.quarantineMaxStoredBytes },
      },
      {
        provide: PackageInspection,
        useFactory: () => new InspectionPool(config.inspectionThreads, config.trust),
      },
      {
        provide: RevocationFetcher,
        useFactory: () => new HttpRevocationFetcher(config.revocation.timeoutMs),
      },
      { provide: RevocationStore, useClass: PgRevocationStore },
      {
        provide: RevocationSettings,
        useValue: {
          graceSeconds: config.revocation.graceSeconds,
          retryAfterSeconds: config.revocation.retryAfterSeconds,
        },
      },
      RevocationChecker,
      AssessSignature,
      // Client certificates of bridge callers are judged on the main thread, as signatures' chains are in workers.
      { provide: ChainValidator, useFactory: () => new ChainValidator(new TrustStore(config.trust)) },
      { provide: TrustSettings, useValue: { pdfSignaturePolicy: config.pdfSignaturePolicy } },
      { provide: ReceiptSigner, useFactory: () => receiptSigner(config) },
      BusMetrics,
      { provide: SubmissionMetrics, useExisting: BusMetrics },
      {
        provide: AmqpRuntime,
        useFactory: (
          store: OutboxStore,
          directory: Directory,
          pull: PgPullInbox,
          endpoints: EndpointRepository,
          metrics: BusMetrics,
        ) =>
          new AmqpRuntime(
            config,
            store,
            { ingress: options.ingress },
            {
              isPullEndpoint: async (organId) => (await directory.endpoint(organId))?.transport === 'bridge',
              accept: (messages, at) => pull.accept(messages, at),
              brokerEndpoints: async () =>
                (await endpoints.findAll())
                  .filter((e) => e.transport === 'amqp' && e.status !== 'closed')
                  .map((e) => e.organId),
            },
            (seconds) => metrics.observeStage('publish', seconds),
          ),
        inject: [OutboxStore, Directory, PgPullInbox, EndpointRepository, BusMetrics],
      },
      {
        provide: OutboxDispatcher,
        useFactory: (amqp: AmqpRuntime) =>
          config.faultInjection === 'kill-after-commit'
            ? new KillAfterCommitDispatcher(amqp.relay)
            : amqp.relay,
        inject: [AmqpRuntime],
      },
      ...bridgeProviders(config),
      ...auditProviders(config, options),
      ...consoleProviders(config),
      ...retentionProviders(config, options),
      {
        provide: DeadlineSweeper,
        useFactory: (flag: FlagOverdueCopies, metrics: BusMetrics) =>
          options.ingress ? new DeadlineSweeper(flag, metrics, config.deadlines.sweepIntervalMs) : null,
        inject: [FlagOverdueCopies, BusMetrics],
      },
      {
        provide: BrokerAccessProvisioner,
        useFactory: (amqp: AmqpRuntime) =>
          new RabbitBrokerAccess(amqp.management, vhostOf(config.amqpUrl), amqp.identities.users, (organId) =>
            amqp.declareInbox(organId),
          ),
        inject: [AmqpRuntime],
      },
      ...USE_CASES,
      Lifecycle,
      HttpEndpoint,
    ];
    return {
      module: BusModule,
      controllers: options.http
        ? [HealthController, MetricsController, AxisController, RestController, ConsoleController]
        : [],
      providers,
      exports: providers,
    };
  }
}
