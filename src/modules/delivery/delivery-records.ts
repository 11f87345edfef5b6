import type { ReceiptOutcome } from './domain/bus-receipt';
import type { ReasonCode } from '../shared/reasons';
import type { Channel } from './domain/channel';

/**
 * The records of a copy's life after the commit, shared by whoever writes them in a transaction
 * (routing's submissions, the lifecycle's sweeps) and whoever carries them out (the outbox).
 */
export type TransportName = 'amqp' | 'vdxp-http' | 'soap' | 'rest' | 'cli';
export type MessageType = 'edoc' | 'status' | 'receipt' | 'withdrawal' | 'trace';
export type Lane = 'normal' | 'urgent';

/**
 * A message for an inbox, decided in a transaction. A broker-channel message becomes an outbox
 * row that the relay publishes once the transaction has committed; a pull-channel message is
 * written straight into the destination's pull inbox by the same transaction.
 */
export interface OutboxRecord {
  destination: string;
  channel: Channel;
  messageType: MessageType;
  messageId: string;
  /** Urgent mail goes to the inbox's urgent queue and overtakes ordinary mail. */
  lane?: Lane;
  /** The body is the stored package (`edoc`, `status`), the stored receipt, or carried inline. */
  packageId?: string;
  receiptId?: string;
  body?: Uint8Array;
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
  event:
    | 'accepted'
    | 'queued'
    | 'refused'
    | 'status'
    | 'duplicate'
    | 'delivered'
    | 'change-requested'
    | 'withdrawn'
    | 'overdue';
  statusCode?: string;
  source: 'bus' | 'sender' | 'recipient' | 'operator';
  sourcePackageId?: string;
  detail?: Record<string, unknown>;
  stateBefore?: string;
  stateAfter?: string;
  /** A status kept but not applied (late, repeated, impossible): why. */
  flag?: string;
  at: Date;
}

/** Messages decided inside the transaction, after what it found (withdrawn copies). */
export interface Notices {
  receipt: ReceiptRecord | null;
  outbox: OutboxRecord[];
  traceEvents: TraceEventRecord[];
}

export interface StoredOutbox {
  id: string;
  record: OutboxRecord;
}
