import type { ChangeState, CopyState } from './delivery-lifecycle';

/** One step in the life of a copy, as recorded (flagged steps included). */
export interface TraceStep {
  at: Date;
  event: string;
  statusCode: string | null;
  source: string;
  stateBefore: string | null;
  stateAfter: string | null;
  flag: string | null;
  /** The package that caused the step (a status, a recall…), when there is one. */
  sourcePackageId: string | null;
}

/** Where one recipient's copy stands, and how it got there. */
export interface CopyTrace {
  recipient: string;
  addressedTo: string;
  state: CopyState;
  stateAt: Date;
  lastStatusCode: string | null;
  deliveredAt: Date | null;
  change: { kind: string; state: ChangeState; packageId: string | null } | null;
  arrivalDueAt: Date | null;
  decisionDueAt: Date | null;
  overdue: 'arrival' | 'decision' | null;
  history: TraceStep[];
}

/** The whole picture of a document for its sender: one line per recipient. */
export interface DocumentTrace {
  busId: string;
  documentId: string;
  sender: string;
  businessDocType: number;
  subject: string | null;
  priority: number;
  acceptedAt: Date;
  /** The original, when this is a recall, update or replacement. */
  relatedPackageId: string | null;
  /** Recalls, updates and replacements that refer to this document. */
  changes: Array<{ busId: string; businessDocType: number; acceptedAt: Date }>;
  /** Document-level steps (accepted, duplicates…). */
  events: TraceStep[];
  copies: CopyTrace[];
}
