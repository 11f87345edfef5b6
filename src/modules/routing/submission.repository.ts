import type { DeliveryState } from '../receipts/domain/delivery-state';
import type { ReceiptOutcome } from '../receipts/domain/bus-receipt';
import type { ReasonCode } from '../shared/reasons';
import type { SignatureRecord } from '../trust/signature-record';

export type TransportName = 'amqp' | 'vdxp-http' | 'soap' | 'rest' | 'cli';
export type MessageType = 'edoc' | 'status' | 'receipt';

/** A message to put in an inbox once the transaction that decided it has committed. */
export interface OutboxRecord {
  destination: string;
  messageType: MessageType;
  messageId: string;
  /** The body is the stored package (`edoc`, `status`) or the stored receipt (`receipt`). */
  packageId?: string;
  receiptId?: string;
  headers: Record<string, string>;
}

export interface ReceiptRecord {
  id: string;
  recipient: string;
  packageId: string | null;
  quarantineId: string | null;
  outcome: ReceiptOutcome;
  reasonCode: ReasonCode | null;
  body: Uint8Array;
  issuedAt: Date;
}

export interface TraceEventRecord {
  packageId: string;
  recipient: string | null;
  event: 'accepted' | 'queued' | 'refused' | 'status' | 'duplicate';
  statusCode?: string;
  source: 'bus' | 'sender' | 'recipient' | 'operator';
  sourcePackageId?: string;
  detail?: Record<string, unknown>;
  at: Date;
}

interface PackageFacts {
  busId: string;
  sender: string;
  documentId: string;
  sha256: string;
  size: number;
  transport: TransportName;
  transportMessageId: string | null;
  receivedAt: Date;
  acceptedAt: Date;
  body: Uint8Array;
  /** What the bus established about the package's signature (signer, evidence, policy flags). */
  signature: SignatureRecord;
}

export interface AcceptedDocumentRecord extends PackageFacts {
  businessDocType: number;
  subject: string | null;
  codeNumber: string | null;
  codeNotation: string | null;
  priority: number | null;
  deliveries: Array<{ recipient: string; addressedTo: string }>;
  traceEvents: TraceEventRecord[];
  receipt: ReceiptRecord;
  outbox: OutboxRecord[];
}

export interface AcceptedStatusRecord extends PackageFacts {
  statusCode: string;
  relatedPackageId: string;
  /** The copy the status is about, and the state it moves to. */
  delivery: { packageId: string; recipient: string; state: DeliveryState };
  traceEvents: TraceEventRecord[];
  receipt: ReceiptRecord;
  outbox: OutboxRecord[];
}

export interface QuarantineRecord {
  id: string;
  receivedAt: Date;
  transport: TransportName;
  transportMessageId: string | null;
  authenticatedSender: string | null;
  claimedSender: string | null;
  messageType: string | null;
  documentId: string | null;
  reasonCode: ReasonCode;
  reasonText: string;
  details: string[];
  sha256: string;
  size: number;
  /** The package, cut at the configured cap (a hostile package must not fill the disk). */
  body: Uint8Array;
  bodyTruncated: boolean;
}

/** A package already accepted under the same idempotency key. */
export interface ExistingPackage {
  busId: string;
  sha256: string;
  transportMessageId: string | null;
  transport: TransportName;
}

export interface StoredOutbox {
  id: string;
  record: OutboxRecord;
}

export type StoreResult =
  { stored: true; outbox: StoredOutbox[] } | { stored: false; existing: ExistingPackage };

/** The document a status refers to, as far as the status's sender may see it. */
export interface StatusTarget {
  busId: string;
  documentSender: string;
  recipients: string[];
}

/**
 * Port: the durable record of every submission. Each method is one database transaction, so a
 * crash leaves either everything (package, copies, trace, receipt, outbox) or nothing.
 */
export abstract class SubmissionRepository {
  /** Stores a document unless one with the same (sender, DocumentId, business type) exists. */
  abstract storeAcceptedDocument(record: AcceptedDocumentRecord): Promise<StoreResult>;
  /** Stores a status unless the same sender already sent the same bytes. */
  abstract storeAcceptedStatus(record: AcceptedStatusRecord): Promise<StoreResult>;
  /** A resend of an accepted package: only a receipt and its outbox row. */
  abstract storeReceipt(
    receipt: ReceiptRecord,
    outbox: OutboxRecord[],
    trace: TraceEventRecord[],
  ): Promise<StoredOutbox[]>;
  abstract storeRejection(
    quarantine: QuarantineRecord,
    receipt: ReceiptRecord | null,
    outbox: OutboxRecord[],
  ): Promise<StoredOutbox[]>;
  /** Documents of this sender with this DocumentId (new, recall, update…), newest first. */
  abstract findStatusTargets(documentSender: string, documentId: string): Promise<StatusTarget[]>;
  /** Whether a transport message was already processed (a redelivery after a crash), and as what. */
  abstract findByTransportMessage(
    sender: string,
    transportMessageId: string,
  ): Promise<{ kind: 'package'; busId: string } | { kind: 'quarantine'; id: string } | null>;
}
