import 'reflect-metadata';
import { workerData } from 'node:worker_threads';
import { EdxmlInspector } from '../../modules/edoc/inspection/edxml-inspector';
import type {
  InspectionRequest,
  InspectionResult,
} from '../../modules/edoc/inspection/package-inspection.port';
import type { TrustMaterial } from '../../modules/trust/pki/trust-store';
import { FileRanges } from '../spool/file-ranges';

// One inspector per worker thread: libxml2, the compiled schemas and the trust store are loaded
// once; certificate paths are cached per thread.
const inspector = EdxmlInspector.create((workerData as { trust: TrustMaterial }).trust, (spooled) =>
  FileRanges.open(spooled),
);

export default async function inspect(request: InspectionRequest): Promise<InspectionResult> {
  return (await inspector).inspect(request);
}
