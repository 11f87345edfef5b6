import type { BusinessDocType, EdocPackage } from '../../src/modules/edoc/domain/edoc-package';
import type { StatusPackage } from '../../src/modules/edoc/domain/status-package';
import type { Endpoint } from '../../src/modules/registry/domain/endpoint';

/** Endpoints of the unit tests: two ministries, a province on the bridge, a locked and a closed one. */
export const MOF = '000.00.00.G09';
export const MOJ = '000.00.00.G12';
export const HANOI = '000.00.00.H26';
export const LOCKED = '000.00.00.G15';
export const CLOSED = '000.00.00.G17';

export function endpoint(organId: string, patch: Partial<Endpoint> = {}): Endpoint {
  return {
    organId,
    codeQd20: null,
    name: organId,
    category: organId.includes('.H') ? 'province' : 'ministry',
    transport: 'amqp',
    status: 'active',
    statusReason: null,
    signaturePolicy: 'strict',
    bridgeAuth: 'hmac',
    ...patch,
  };
}

export const ENDPOINTS: Endpoint[] = [
  endpoint(MOF),
  endpoint(MOJ),
  endpoint(HANOI, { transport: 'bridge' }),
  endpoint(LOCKED, { status: 'locked', statusReason: 'certificate compromised' }),
  endpoint(CLOSED, { status: 'closed' }),
];

let serial = 0;

/** A document's model as the reader gives it: the parts routing reads. */
export function document(
  from: string,
  to: string[],
  options: {
    documentId?: string;
    priority?: number;
    businessDocType?: BusinessDocType;
    /** For a recall, update or replacement: the original's DocumentId. */
    original?: string;
  } = {},
): EdocPackage {
  const documentId = options.documentId ?? `${from},2026/12/01,${++serial}/VP`;
  const type = options.businessDocType ?? 0;
  return {
    kind: 'edoc',
    header: {
      from: { organId: from },
      to: to.map((organId) => ({ organId })),
      documentId,
      subject: 'V/v triển khai chuyển đổi số',
      code: { codeNumber: String(serial), codeNotation: 'VP' },
      toPlaces: [],
      otherInfo: { priority: options.priority ?? 0, appendixes: [] },
      responseFor: type === 0 ? [] : [{ organId: from, documentId: options.original }],
    },
    traces: [],
    business: {
      businessDocType: type,
      documentId: type === 0 ? undefined : options.original,
      receivers: [],
      replacements: [],
    },
    manifest: [],
    attachments: [],
    extras: [],
  };
}

/** A status about `documentId` of `documentSender` (or, for 13, about `recipient`'s copy). */
export function status(
  from: string,
  code: string,
  about: { organId: string; documentId: string },
): StatusPackage {
  return {
    kind: 'status',
    from: { organId: from },
    responseFor: { organId: about.organId, documentId: about.documentId },
    statusCode: code,
    extras: [],
  };
}
