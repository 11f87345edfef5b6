import type { Month } from './domain/month';

export interface ArchivedDocument {
  busId: string;
  documentId: string;
  sender: string;
  /** Who it was addressed to (kept apart from the set, so that this is answered without a restore). */
  recipients: string[];
  /** The month whose set holds it. */
  archivedIn: Month;
}

/** Documents whose month left the database: found through the register that stays. */
export abstract class ArchivedDocuments {
  abstract find(ref: { busId?: string; documentId?: string; sender?: string }): Promise<ArchivedDocument[]>;
}
