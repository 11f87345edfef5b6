import type { Provider } from '@nestjs/common';
import { PackageInspection } from '../../modules/edoc/inspection/package-inspection.port';
import { SubmissionMetrics } from '../../modules/routing/submission-metrics.port';
import { SubmissionRepository } from '../../modules/routing/submission-repository.port';
import { SubmissionSettings } from '../../modules/routing/submission-settings';
import { AcknowledgeDelivery } from '../../modules/routing/use-cases/acknowledge-delivery/acknowledge-delivery.use-case';
import { AcceptDocument } from '../../modules/routing/use-cases/submit-package/accept-document.use-case';
import { AcceptStatus } from '../../modules/routing/use-cases/submit-package/accept-status.use-case';
import { RejectPackage } from '../../modules/routing/use-cases/submit-package/reject-package.use-case';
import { SubmitPackage } from '../../modules/routing/use-cases/submit-package/submit-package.use-case';
import type { BusConfig } from '../config/bus-config';
import { BusMetrics } from '../http/metrics';
import { PgSubmissionRepository } from '../postgres/pg-submission.repository';
import { InspectionPool } from '../workers/inspection-pool';

/** modules/routing: what endpoints send — inspected on worker threads, stored in one statement. */
export function routingProviders(config: BusConfig): Provider[] {
  return [
    { provide: SubmissionRepository, useClass: PgSubmissionRepository },
    {
      provide: SubmissionSettings,
      useValue: { xmlLimits: config.xmlLimits, quarantineMaxStoredBytes: config.quarantineMaxStoredBytes },
    },
    {
      provide: PackageInspection,
      useFactory: () => new InspectionPool(config.inspectionThreads, config.trust),
    },
    { provide: SubmissionMetrics, useExisting: BusMetrics },
    SubmitPackage,
    AcceptDocument,
    AcceptStatus,
    RejectPackage,
    AcknowledgeDelivery,
  ];
}
