import type { StoredOutbox } from './delivery-records';

/** A committed outbox row with its body, ready to publish. */
export interface PendingMessage extends StoredOutbox {
  /** A function when the body is read only if needed (a spooled package going to a broker inbox). */
  body: Uint8Array | (() => Promise<Uint8Array>);
  /** Earlier failed publishes of this row (the relay backs off by it). */
  attempts?: number;
}

/**
 * Port: publishes committed outbox rows now, on the fast path. It may fail or the process may die:
 * the rows stay in the outbox and the relay's sweep publishes them later. Never awaited by the
 * submission: a document is acknowledged once it is durable, not once it is delivered.
 */
export abstract class OutboxDispatcher {
  abstract dispatch(messages: PendingMessage[]): void;
}
