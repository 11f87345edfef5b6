import { join } from 'node:path';
import Piscina from 'piscina';
import {
  PackageInspection,
  type InspectionRequest,
  type InspectionResult,
} from '../../modules/edoc/inspection/package-inspection.port';
import { isShared } from '../../modules/shared/bytes';
import { isSpooled } from '../../modules/shared/package-body';
import type { TrustMaterial } from '../../modules/trust/pki/trust-store';

/**
 * Runs package inspection (prescan, libxml2 parse, XSD, model) on a pool of worker threads, one
 * per core by default, so the event loop only moves bytes between the broker and the database.
 */
export class InspectionPool extends PackageInspection {
  private readonly pool: Piscina<InspectionRequest, InspectionResult>;

  constructor(threads: number, trust: TrustMaterial) {
    super();
    const fromTypeScriptSources = __filename.endsWith('.ts');
    this.pool = new Piscina({
      filename: join(__dirname, 'worker-entry.js'),
      workerData: {
        fromTypeScriptSources,
        modulePath: join(__dirname, `inspection.worker.${fromTypeScriptSources ? 'ts' : 'js'}`),
        trust,
      },
      minThreads: threads,
      maxThreads: threads,
      idleTimeout: 60_000,
      // Bound the queue so a flood cannot grow memory without limit; callers see back-pressure.
      maxQueue: threads * 256,
    });
  }

  async inspect(request: InspectionRequest): Promise<InspectionResult> {
    // A large upload is in a spool file or already in shared memory: the worker reads it there.
    if (isSpooled(request.bytes) || isShared(request.bytes)) return this.pool.run(request);
    // A Buffer from the AMQP client is usually a view into a much larger socket buffer, and
    // posting a view to a worker clones the WHOLE underlying ArrayBuffer. Copy exactly the
    // package into its own buffer and transfer it: one copy of the package, no more.
    const own = new Uint8Array(request.bytes);
    return this.pool.run({ ...request, bytes: own }, { transferList: [own.buffer] });
  }

  get utilization(): number {
    return this.pool.utilization;
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
