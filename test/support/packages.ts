import type { Endpoint } from '../../src/modules/registry/domain/endpoint';
import { sampleDocument, type SampleDocumentSpec } from '../../src/adapters/cli/sample-documents';

let counter = 0;

export function endpoint(organId: string, name = organId): Endpoint {
  return {
    organId,
    name,
    codeQd20: null,
    category: 'other',
    transport: 'amqp',
    status: 'active',
    statusReason: null,
    signaturePolicy: 'strict',
    bridgeAuth: 'hmac',
  };
}

/** A valid new-document package from `from` to `to`, with a fresh DocumentId. */
export function documentPackage(
  from: string,
  to: string[],
  options: {
    attachmentBytes?: number;
    number?: number;
    attachment?: { content: Buffer; name?: string; contentType?: string };
    priority?: number;
    change?: SampleDocumentSpec['change'];
  } = {},
) {
  const number = options.number ?? (Date.now() % 1_000_000_000) * 100 + (counter++ % 100);
  return sampleDocument({
    from: endpoint(from),
    to: to.map((t) => endpoint(t)),
    number,
    attachmentBytes: options.attachmentBytes ?? 2048,
    attachment: options.attachment,
    priority: options.priority,
    change: options.change,
  });
}
