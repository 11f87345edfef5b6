import type { Lane } from '../delivery/delivery-records';

export type PullMessageType = 'edoc' | 'status' | 'receipt';
export const PULL_MESSAGE_TYPES: readonly PullMessageType[] = ['edoc', 'status', 'receipt'];

/** The axis `messagetype` of a listing: one type, or `all`; unset or unknown lists documents, as the axis does. */
export function pullTypesNamed(name: string | null): PullMessageType[] {
  const wanted = (name ?? 'edoc').toLowerCase();
  if (wanted === 'all') return [...PULL_MESSAGE_TYPES];
  return PULL_MESSAGE_TYPES.includes(wanted as PullMessageType) ? [wanted as PullMessageType] : ['edoc'];
}

export type PullItemState = 'pending' | 'done' | 'withdrawn' | 'dead';

/** One entry of a bridge endpoint's inbox as a listing shows it. */
export interface PullItem {
  /** The item's id in the bridge APIs (`docId`): the bus id of the document, status or receipt. */
  docId: string;
  messageType: PullMessageType;
  from: string | null;
  documentId: string | null;
  statusCode: string | null;
  receiptOutcome: string | null;
  lane: Lane;
  state: PullItemState;
  failCount: number;
  createdAt: Date;
  /** Opaque position for the next page. */
  cursor: string;
}

export interface PullListing {
  endpoint: string;
  types: PullMessageType[];
  /** Who is polling: items it listed before stay its own until the lease ends. */
  poller: string;
  leaseSeconds: number;
  after: string | null;
  limit: number;
  now: Date;
}

/** An item's bytes, read piece by piece so a 50 MB package is never held whole by a fetch. */
export interface PullItemContent {
  item: PullItem;
  size: number;
  /** The bytes in order, in pieces whose length is a multiple of 3 (base64 pieces then join cleanly). */
  chunks(): AsyncIterable<Uint8Array>;
}

export type SettleOutcome = 'done' | 'fail' | 'processing';

export interface SettleResult {
  found: boolean;
  state?: PullItemState;
  failCount?: number;
  /** The last allowed `fail`: the item went to the dead letters. */
  deadLettered?: boolean;
}

/**
 * Port: the inbox of an endpoint that polls (HTTP, SOAP, REST). Items stay listed until settled
 * `done`; a listing reserves what it returns for its poller for a while, so two pollers never both
 * get an item as new; `fail` makes it available again and counts toward the dead letters.
 */
export abstract class PullInboxRepository {
  abstract list(listing: PullListing): Promise<PullItem[]>;
  /** How many items of these types wait for the endpoint (reserved or not); reserves nothing. */
  abstract countPending(endpoint: string, types: PullMessageType[]): Promise<number>;
  /** The item and its bytes, only if it is this endpoint's and still pending. */
  abstract fetch(endpoint: string, docId: string): Promise<PullItemContent | null>;
  abstract settle(
    endpoint: string,
    docId: string,
    outcome: SettleOutcome,
    at: Date,
    settings: { failLimit: number; leaseSeconds: number },
  ): Promise<SettleResult>;
}
