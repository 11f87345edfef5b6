export type SubmissionStage = 'inspect' | 'trust' | 'persist' | 'total';

/** Port: counts outcomes and times the stages of the hot path (exported as Prometheus metrics). */
export abstract class SubmissionMetrics {
  abstract observeStage(stage: SubmissionStage, seconds: number): void;
  abstract countOutcome(kind: string, outcome: string, reason: string | null): void;
}
