import type { CopyStatus, Transition } from '../delivery/domain/delivery-lifecycle';
import type {
  Notices,
  OutboxRecord,
  ReceiptRecord,
  StoredOutbox,
  TraceEventRecord,
  TransportName,
} from '../delivery/delivery-records';
import type { PackageBody } from '../shared/package-body';
import type { ReasonCode } from '../shared/reasons';
import type { SignatureRecord } from '../trust/signature-record';

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
  /** The package: in memory, or spooled (the store reads it from the file a piece at a time). */
  body: PackageBody;
  /** What the bus established about the package's signature (signer, evidence, policy flags). */
  signature: SignatureRecord;
}

export interface AcceptedDocumentRecord extends PackageFacts {
  businessDocType: number;
  subject: string | null;
  codeNumber: string | null;
  codeNotation: string | null;
  priority: number | null;
  /** The original a recall, update or replacement refers to. */
  relatedPackageId: string | null;
  deliveries: Array<{ recipient: string; addressedTo: string; arrivalDueAt: Date; decisionDueAt: Date }>;
  traceEvents: TraceEventRecord[];
  receipt: ReceiptRecord;
  outbox: OutboxRecord[];
  /** A recall, update or replacement: what it asks of the original's copies. */
  change?: ChangeRequest;
}

export interface ChangeRequest {
  originalPackageId: string;
  kind: 'recall' | 'update' | 'replacement';
  recipients: string[];
  /** What the change does to each of those copies, decided from its current state under a lock. */
  transition: (current: CopyStatus) => Transition;
  /** Notices for copies a recall withdrew before they were taken from the inbox. */
  onWithdrawn: (recipients: string[]) => Notices;
}

export interface AcceptedStatusRecord extends PackageFacts {
  statusCode: string;
  relatedPackageId: string;
  /** The copy the status is about; its new state is decided from its current one, under a lock. */
  delivery: { packageId: string; recipient: string };
  transition: (current: CopyStatus) => Transition;
  /** The status's trace event; the repository adds the state before and after and any flag. */
  traceEvent: TraceEventRecord;
  receipt: ReceiptRecord;
  outbox: OutboxRecord[];
  /** Notices when the status withdrew a copy (13 before the copy was taken). */
  onWithdrawn?: () => Notices;
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
  /** The package; only its first `storedBytes` are kept (a hostile package must not fill the disk). */
  body: PackageBody;
  storedBytes: number;
  bodyTruncated: boolean;
}

/** A package already accepted under the same idempotency key. */
export interface ExistingPackage {
  busId: string;
  sha256: string;
  /** Null when its month is archived (the register keeps the keys, not the transport's). */
  transportMessageId: string | null;
  transport: TransportName | null;
  /** The month whose archive set holds it, when it is no longer in the database. */
  archivedIn: string | null;
}

export interface StoredPackage {
  stored: true;
  outbox: StoredOutbox[];
  /** A status: how it moved the copy (or why it was only flagged). */
  transition?: Transition;
  /** A recall: the recipients whose copies it withdrew before they were taken. */
  withdrawn?: string[];
}

export type DocumentStoreResult = StoredPackage | { stored: false; existing: ExistingPackage };

export type StoreResult =
  | DocumentStoreResult
  /** A status about a copy that does not exist (the recipient's copy of a change was never made). */
  | { stored: false; existing: null };

/** The document a status refers to, as far as the status's sender may see it. */
export interface StatusTarget {
  busId: string;
  documentSender: string;
  businessDocType: number;
  recipients: string[];
  /** For a recall, update or replacement: the original it refers to. */
  relatedPackageId: string | null;
}

/**
 * Port: the durable record of every submission. Each method is one database transaction, so a
 * crash leaves either everything (package, copies, trace, receipt, outbox) or nothing.
 */
export abstract class SubmissionRepository {
  /** Stores a document unless one with the same (sender, DocumentId, business type) exists. */
  abstract storeAcceptedDocument(record: AcceptedDocumentRecord): Promise<DocumentStoreResult>;
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
  /** The newest new document (business type 0) of this sender with this DocumentId, with its copies. */
  abstract findOriginal(sender: string, documentId: string): Promise<StatusTarget | null>;
  /** Documents of this sender with this DocumentId (new, recall, update…), newest first. */
  abstract findStatusTargets(documentSender: string, documentId: string): Promise<StatusTarget[]>;
  /** Whether a transport message was already processed (a redelivery after a crash), and as what. */
  abstract findByTransportMessage(
    sender: string,
    transportMessageId: string,
  ): Promise<{ kind: 'package'; busId: string } | { kind: 'quarantine'; id: string } | null>;
  /** A stored package's bytes, for a copy to a broker inbox when the upload was spooled, not held. */
  abstract readPackageBody(packageId: string): Promise<Uint8Array>;
}
