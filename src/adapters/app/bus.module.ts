import {
  Inject,
  Injectable,
  Module,
  type BeforeApplicationShutdown,
  type DynamicModule,
  type InjectionToken,
  type OnApplicationBootstrap,
  type Provider,
  type Type,
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
import { PgOutboxStore } from '../postgres/pg-outbox.repository';
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
    private readonly endpoints: EndpointRepository,
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
        brokerEndpoints: async () =>
          (await this.endpoints.findAll())
            .filter((e) => e.transport === 'amqp' && e.status !== 'closed')
            .map((e) => e.organId),
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
 * One Nest module per domain module of src/modules: the ports it uses bound to their adapters, and
 * its use cases. Each imports the modules below it in the same layers that dependency-cruiser
 * enforces on the code (MODULE_LAYERS), so a provider can only be given what its module may use.
 * Connections, the clock, ids, metrics and the broker runtime are one global infrastructure module.
 */
@Module({})
class InfrastructureModule {}
@Module({})
class TrustModule {}
@Module({})
class RegistryModule {}
@Module({})
class AuditModule {}
@Module({})
class DeliveryModule {}
@Module({})
class DeadLettersModule {}
@Module({})
class RetentionModule {}
@Module({})
class RoutingModule {}
@Module({})
class BridgeModule {}
@Module({})
class ConsoleModule {}

/**
 * The domain modules that bind providers, bottom up: the order of MODULE_LAYERS in
 * .dependency-cruiser.js (shared, xml and edoc bind none of their own); bus-module-layers.spec.ts
 * checks it.
 */
export const NEST_MODULE_LAYERS = [
  'trust',
  'registry',
  'audit',
  'delivery',
  'dead-letters',
  'retention',
  'routing',
  'bridge',
  'console',
] as const;
type NestModuleLayer = (typeof NEST_MODULE_LAYERS)[number];

function tokenOf(provider: Provider): InjectionToken {
  return typeof provider === 'function' ? provider : provider.provide;
}

/** A domain module's Nest module: its providers, all exported, and the modules below it imported. */
function domainModule(module: Type, providers: Provider[], below: DynamicModule[]): DynamicModule {
  return { module, imports: below, providers, exports: providers.map(tokenOf) };
}

/**
 * The composition root. The same module serves `edoc-bus serve` (HTTP + ingress) and the CLI's
 * admin commands (neither).
 */
@Module({})
export class BusModule {
  static forRoot(config: BusConfig, options: BusModuleOptions): DynamicModule {
    const infrastructure: Provider[] = [
      { provide: BUS_CONFIG, useValue: config },
      // Only a serving bus tells about the server's settings: the CLI's stdout may be JSON.
      { provide: DataSource, useFactory: () => openDatabase(config, { checkSettings: options.ingress }) },
      { provide: Clock, useClass: SystemClock },
      { provide: IdGenerator, useClass: Uuid7Generator },
      BusMetrics,
      // The relay's store: the outbox holds the broker channel's messages (delivery decides them).
      { provide: OutboxStore, useClass: PgOutboxStore },
      {
        provide: AmqpRuntime,
        useFactory: (store: OutboxStore, metrics: BusMetrics) =>
          new AmqpRuntime(config, store, { ingress: options.ingress }, (seconds) =>
            metrics.observeStage('publish', seconds),
          ),
        inject: [OutboxStore, BusMetrics],
      },
    ];
    const layers: DynamicModule[] = [];
    const layer = (module: Type, providers: Provider[]) => {
      const made = domainModule(module, providers, [...layers]);
      layers.push(made);
      return made;
    };
    const bound: Record<NestModuleLayer, [Type, Provider[]]> = {
      trust: [TrustModule, trustProviders(config)],
      registry: [RegistryModule, registryProviders(config)],
      audit: [AuditModule, auditProviders(config, options)],
      delivery: [DeliveryModule, deliveryProviders(config, options)],
      'dead-letters': [DeadLettersModule, deadLetterProviders()],
      retention: [RetentionModule, retentionProviders(config, options)],
      routing: [RoutingModule, routingProviders(config)],
      bridge: [BridgeModule, bridgeProviders(config)],
      console: [ConsoleModule, consoleProviders(config)],
    };
    for (const name of NEST_MODULE_LAYERS) layer(...bound[name]);
    const root: Provider[] = [...CONSOLE_HTTP_PROVIDERS, SoapBridge, Lifecycle, HttpEndpoint];
    return {
      module: BusModule,
      imports: [
        {
          module: InfrastructureModule,
          global: true,
          providers: infrastructure,
          exports: infrastructure.map(tokenOf),
        },
        ...layers,
      ],
      controllers: options.http
        ? [HealthController, MetricsController, AxisController, RestController, ...CONSOLE_CONTROLLERS]
        : [],
      providers: root,
      exports: root,
    };
  }
}
