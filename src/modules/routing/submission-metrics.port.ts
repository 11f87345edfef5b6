/**
 * `total` runs from the package's arrival to its durable record (then it is acknowledged);
 * `publish`, per copy, from that record to the broker's confirm of the copy in its inbox.
 */
export type SubmissionStage = 'inspect' | 'trust' | 'persist' | 'total' | 'publish';

/** Port: counts outcomes and times the stages of the hot path (exported as Prometheus metrics). */
export abstract class SubmissionMetrics {
  abstract observeStage(stage: SubmissionStage, seconds: number): void;
  abstract countOutcome(kind: string, outcome: string, reason: string | null): void;
}
