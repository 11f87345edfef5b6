import {
  Inject,
  Injectable,
  Module,
  type BeforeApplicationShutdown,
  type DynamicModule,
  type OnApplicationBootstrap,
  type Provider,
} from '@nestjs/common';
import { DataSource } from 'typeorm';
import { RecordDeadLetter } from '../../modules/dead-letters/use-cases/record-dead-letter.use-case';
import { AcknowledgeDelivery } from '../../modules/routing/use-cases/acknowledge-delivery/acknowledge-delivery.use-case';
import { GetDocumentTrace } from '../../modules/delivery/use-cases/get-document-trace.use-case';
import { DeadlineSweeper } from './deadline-sweeper';
import { MonthCalendar } from './month-calendar';
import { retentionProviders } from './retention.providers';
import { LocateArchivedDocument } from '../../modules/retention/use-cases/locate-archived-document.use-case';
import { PackageInspection } from '../../modules/edoc/inspection/package-inspection.port';
import { EndpointRepository } from '../../modules/registry/endpoint-repository.port';
import { SubmitPackage } from '../../modules/routing/use-cases/submit-package/submit-package.use-case';
import { Clock, SystemClock } from '../../modules/shared/clock';
import { IdGenerator, Uuid7Generator } from '../../modules/shared/ids';
import { BUS_CONFIG, type BusConfig } from '../config/bus-config';
import { HealthController } from './health.controller';
import { HttpEndpoint } from '../http/bus-listener';
import { BusMetrics } from '../http/metrics';
import { MetricsController } from './metrics.controller';
import { OutboxStore } from '../../modules/delivery/outbox-store.port';
import { InspectionPool } from '../workers/inspection-pool';
import { AmqpRuntime } from './amqp-runtime';
import { bridgeProviders } from './bridge.providers';
import { AuditSealer, auditProviders } from './audit.providers';
import { consoleProviders } from './console.providers';
import { CONSOLE_CONTROLLERS, CONSOLE_HTTP_PROVIDERS } from '../http/console/console-routes';
import { SoapBridge } from '../http/soap/soap-bridge';
import { AxisController } from '../http/axis/axis.controller';
import { RestController } from '../http/rest/rest.controller';
import { openDatabase } from './database.provider';
import { registryProviders } from './registry.providers';
import { trustProviders } from './trust.providers';
import { routingProviders } from './routing.providers';
import { deliveryProviders } from './delivery.providers';
import { deadLetterProviders } from './dead-letters.providers';

export interface BusModuleOptions {
  /** Serve HTTP (health, metrics). */
  http: boolean;
  /** Consume `edoc.ingress` and the dead letters, and watch deadlines (a serving bus). */
  ingress: boolean;
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
      // Only a serving bus tells about the server's settings: the CLI's stdout may be JSON.
      { provide: DataSource, useFactory: () => openDatabase(config, { checkSettings: options.ingress }) },
      { provide: Clock, useClass: SystemClock },
      { provide: IdGenerator, useClass: Uuid7Generator },
      BusMetrics,
      {
        provide: AmqpRuntime,
        useFactory: (store: OutboxStore, endpoints: EndpointRepository, metrics: BusMetrics) =>
          new AmqpRuntime(
            config,
            store,
            { ingress: options.ingress },
            async () =>
              (await endpoints.findAll())
                .filter((e) => e.transport === 'amqp' && e.status !== 'closed')
                .map((e) => e.organId),
            (seconds) => metrics.observeStage('publish', seconds),
          ),
        inject: [OutboxStore, EndpointRepository, BusMetrics],
      },
      // One list per domain module: the ports it uses bound to their adapters, and its use cases.
      ...registryProviders(config),
      ...trustProviders(config),
      ...routingProviders(config),
      ...deliveryProviders(config, options),
      ...deadLetterProviders(),
      ...bridgeProviders(config),
      ...auditProviders(config, options),
      ...consoleProviders(config),
      ...retentionProviders(config, options),
      ...CONSOLE_HTTP_PROVIDERS,
      SoapBridge,
      Lifecycle,
      HttpEndpoint,
    ];
    return {
      module: BusModule,
      controllers: options.http
        ? [HealthController, MetricsController, AxisController, RestController, ...CONSOLE_CONTROLLERS]
        : [],
      providers,
      exports: providers,
    };
  }
}
