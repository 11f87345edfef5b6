import type { Notices, StoredOutbox, TraceEventRecord } from './delivery-records';
import type { CopyStatus, Transition } from './domain/delivery-lifecycle';
import type { DocumentTrace } from './domain/document-trace';

export type OverdueKind = 'arrival' | 'decision';

/** A copy past one of its deadlines whose sender has not been told yet. */
export interface OverdueCopy {
  packageId: string;
  sender: string;
  documentId: string;
  recipient: string;
  priority: number;
  kind: OverdueKind;
  dueAt: Date;
}

export interface DeliveredNotice {
  packageId: string;
  recipient: string;
  transition: (current: CopyStatus) => Transition;
  /** The repository adds the state before and after and any flag. */
  traceEvent: TraceEventRecord;
}

export interface EndpointBacklog {
  endpoint: string;
  waitingCopies: number;
  oldestWaitingSeconds: number;
  overdueCopies: number;
}

/** One sent document and where each copy stands (the axis `getSentEdocList`). */
export interface SentDocument {
  busId: string;
  documentId: string;
  subject: string | null;
  notation: string | null;
  acceptedAt: Date;
  copies: Array<{
    recipient: string;
    state: string;
    stateAt: Date;
    deliveredAt: Date | null;
    lastStatusCode: string | null;
  }>;
}

/** Port: the per-copy side of the lifecycle that is not a package submission. */
export abstract class DeliveryRepository {
  /** Records that a recipient took its copy; `null` when it has no such copy. */
  abstract recordDelivered(notice: DeliveredNotice): Promise<Transition | null>;
  /** Copies past a deadline and not yet notified at that level, oldest first. */
  abstract findOverdue(now: Date, limit: number): Promise<OverdueCopy[]>;
  /**
   * Marks copies overdue unless someone else did, or they moved on, meanwhile; the notices for
   * the ones it marked are written in the same transaction.
   */
  abstract markOverdue(
    group: { packageId: string; kind: OverdueKind; recipients: string[]; at: Date },
    notices: (marked: string[]) => Notices,
  ): Promise<{ marked: string[]; outbox: StoredOutbox[] }>;
  /** A document as its sender sees it: by bus id, or by DocumentId (the new document, type 0). */
  abstract documentTrace(
    sender: string,
    ref: { busId?: string; documentId?: string },
  ): Promise<DocumentTrace | null>;
  /** A sender's documents, newest first, before the bus id `before` (keyset paging). */
  abstract sentDocuments(
    sender: string,
    page: { before: string | null; limit: number },
  ): Promise<SentDocument[]>;
  /** Per endpoint: copies still in its inbox, the age of the oldest, and overdue copies. */
  abstract backlog(): Promise<EndpointBacklog[]>;
}
