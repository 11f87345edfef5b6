import type { PendingMessage } from './outbox-dispatcher.port';

/**
 * Port: the committed outbox as the relay sees it — rows to publish, leased so that several bus
 * processes can sweep side by side, deleted once the broker confirmed them, rescheduled when not.
 */
export abstract class OutboxStore {
  /** Leases up to `limit` rows that are due (left by a crash or a failed publish) to this process. */
  abstract claimDue(limit: number, leaseSeconds: number): Promise<PendingMessage[]>;
  /** The broker confirmed these rows: they are done. */
  abstract markPublished(ids: string[]): Promise<void>;
  /** Puts a leased row back for later; `attempted: false` when nothing was sent (a paused destination). */
  abstract reschedule(id: string, delaySeconds: number, error: string, attempted?: boolean): Promise<void>;
  /** A destination works again: its rows waiting out a backoff are due now. Returns how many. */
  abstract releaseDeferred(destination: string, leaseSeconds: number): Promise<number>;
  /** Rows not yet published, and the age of the oldest (a gauge for operators). */
  abstract pendingCount(): Promise<{ count: number; oldestSeconds: number }>;
}
