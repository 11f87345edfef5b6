import type { AuditEntry, AuditEvent } from './domain/audit-chain';
import type { ChainLink, SignedCheckpoint } from './domain/audit-verification';

export interface AuditEntryFilter {
  fromSeq: number;
  toSeq: number;
  from: Date;
  to: Date;
  endpoint: string | null;
  packageId: string | null;
}

/** Port: the sealed audit log, its pending events and its signed checkpoints. */
export abstract class AuditLogRepository {
  /**
   * Seals pending events in the order they were recorded, one sealer at a time (whichever bus
   * process holds the lock): `seal` numbers and chains them after the current head.
   */
  abstract sealPending(
    limit: number,
    seal: (head: { seq: number; hash: string }, events: AuditEvent[]) => AuditEntry[],
  ): Promise<number>;
  abstract head(): Promise<{ seq: number; hash: string } | null>;
  abstract lastCheckpoint(): Promise<SignedCheckpoint | null>;
  abstract addCheckpoint(checkpoint: SignedCheckpoint): Promise<void>;
  /** First and last sequence numbers of entries whose time is within [from, to], up to `maxSeq`. */
  abstract seqRange(from: Date, to: Date, maxSeq: number): Promise<{ first: number; last: number } | null>;
  /** The first checkpoint at or after `seq`. */
  abstract checkpointFrom(seq: number): Promise<SignedCheckpoint | null>;
  abstract checkpoints(fromSeq: number, toSeq: number): Promise<SignedCheckpoint[]>;
  /** The chain hash of entry `seq` (the genesis hash for 0). */
  abstract hashAt(seq: number): Promise<string | null>;
  abstract links(fromSeq: number, toSeq: number): AsyncIterable<ChainLink[]>;
  abstract entries(filter: AuditEntryFilter): AsyncIterable<AuditEntry[]>;
}

/** Port: signs checkpoints with the bus's own key. */
export abstract class AuditSigner {
  abstract sign(message: Buffer): { algorithm: string; signature: string; certificate: string };
}
