import { join } from 'node:path';
import Piscina from 'piscina';
import {
  PackageInspection,
  type InspectionRequest,
  type InspectionResult,
} from '../../modules/edoc/inspection/inspection';

/**
 * Runs package inspection (prescan, libxml2 parse, XSD, model) on a pool of worker threads, one
 * per core by default, so the event loop only moves bytes between the broker and the database.
 * Package bytes are transferred, not copied, when the caller no longer needs them… but the bus
 * does (it stores and forwards them), so they are copied once: cheap next to parsing.
 */
export class InspectionPool extends PackageInspection {
  private readonly pool: Piscina<InspectionRequest, InspectionResult>;

  constructor(threads: number) {
    super();
    const fromTypeScriptSources = __filename.endsWith('.ts');
    this.pool = new Piscina({
      filename: join(__dirname, 'worker-entry.js'),
      workerData: {
        fromTypeScriptSources,
        modulePath: join(__dirname, `inspection.worker.${fromTypeScriptSources ? 'ts' : 'js'}`),
      },
      minThreads: threads,
      maxThreads: threads,
      idleTimeout: 60_000,
      // Bound the queue so a flood cannot grow memory without limit; callers see back-pressure.
      maxQueue: threads * 256,
    });
  }

  async inspect(request: InspectionRequest): Promise<InspectionResult> {
    return this.pool.run(request);
  }

  get utilization(): number {
    return this.pool.utilization;
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
