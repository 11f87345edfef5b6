import { EdxmlInspector } from '../../modules/edoc/inspection/edxml-inspector';
import type { InspectionRequest, InspectionResult } from '../../modules/edoc/inspection/inspection';

// One inspector per worker thread: libxml2 and the compiled schemas are loaded once.
const inspector = EdxmlInspector.create();

export default async function inspect(request: InspectionRequest): Promise<InspectionResult> {
  return (await inspector).inspect(request);
}
