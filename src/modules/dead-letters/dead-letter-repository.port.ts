import type { DeadLetter, DeadLetterDetail, DeadLetterSummary, Redelivery } from './dead-letter';

export interface DeadLetterFilter {
  queue?: string;
  /** Only those never redelivered. */
  pendingOnly?: boolean;
  limit: number;
}

/** Port: where dead letters are kept (durably, outside the broker, so they survive a queue purge). */
export abstract class DeadLetterRepository {
  /** Stores a dead letter unless the same death is already stored; returns whether it was new. */
  abstract record(letter: DeadLetter): Promise<boolean>;
  abstract list(filter: DeadLetterFilter): Promise<DeadLetterSummary[]>;
  abstract find(id: string): Promise<DeadLetterDetail | null>;
  /**
   * Records a redelivery around the act itself: the row is committed only if `republish`
   * succeeded, so the record never claims a redelivery that did not happen.
   */
  abstract recordRedelivery(
    id: string,
    redelivery: Redelivery,
    republish: () => Promise<void>,
  ): Promise<void>;
}

/** Port: puts a dead letter back where it died. */
export abstract class DeadLetterRepublisher {
  abstract republish(letter: DeadLetter): Promise<void>;
}
