import type { ReceiptRecipient } from '../../delivery/domain/bus-receipt';
import type { Refusal } from '../../shared/reasons';

/**
 * What became of a submitted package. Every transport maps this one result to its own reply
 * (AMQP receipt + ack, SDK error code, SOAP fault, HTTP status).
 */
export type SubmissionOutcome =
  | {
      outcome: 'accepted';
      kind: 'edoc' | 'status';
      busId: string;
      documentId: string;
      recipients: ReceiptRecipient[];
      warnings: string[];
    }
  /** The sender sent the same package again: the original's bus id, nothing delivered twice. */
  | { outcome: 'duplicate'; kind: 'edoc' | 'status'; busId: string; documentId: string }
  /** The same transport message came back (redelivery after a crash): it was already handled. */
  | { outcome: 'replayed'; busId: string | null }
  | { outcome: 'rejected'; quarantineId: string; refusal: Refusal; receiptIssued: boolean };
