import type { StatusPackage } from '../../edoc/domain/status-package';
import { canonicalOrganCode } from '../../registry/domain/organ-code';

/**
 * Who a status package is about and where it goes.
 *
 * A recipient reports on a document it received (01–06, 15, 16): `From` is the recipient,
 * `ResponseFor/OrganId` the document's sender, and the status goes to the sender.
 * A sender asks a recipient to give a document back (13): `From` is the document's sender,
 * `ResponseFor/OrganId` the recipient, and the status goes to the recipient.
 */
export interface StatusRoute {
  documentSender: string;
  documentId: string;
  /** The recipient whose copy the status is about. */
  recipient: string;
  /** Whose inbox the status is relayed to. */
  relayTo: string;
}

export const SENDER_ISSUED_CODES = new Set(['13']);

export function routeStatus(status: StatusPackage, authenticatedSender: string): StatusRoute | string {
  const counterpart = canonicalOrganCode(status.responseFor.organId ?? '');
  const documentId = status.responseFor.documentId ?? '';
  if (!counterpart) return `ResponseFor/OrganId "${status.responseFor.organId ?? ''}" is not an organ code`;
  if (SENDER_ISSUED_CODES.has(status.statusCode)) {
    return { documentSender: authenticatedSender, documentId, recipient: counterpart, relayTo: counterpart };
  }
  return { documentSender: counterpart, documentId, recipient: authenticatedSender, relayTo: counterpart };
}
