import type { Month } from './domain/month';

export interface ArchivedDocument {
  busId: string;
  documentId: string;
  sender: string;
  /** The month whose set holds it. */
  archivedIn: Month;
}

/** Documents whose month left the database: found through the register that stays. */
export abstract class ArchivedDocuments {
  abstract find(ref: { busId?: string; documentId?: string; sender?: string }): Promise<ArchivedDocument[]>;
}
