import { Injectable } from '@nestjs/common';
import { isUuid } from '../../shared/ids';
import { ArchivedDocuments, type ArchivedDocument } from '../archived-documents.port';

/**
 * Where an archived document is, for its sender (the bridges' and the SDK's trace) or for an
 * operator (the console): "archived in 2027-03", with how to get it back. Someone else asking
 * learns nothing, as with a trace.
 */
@Injectable()
export class LocateArchivedDocument {
  constructor(private readonly archived: ArchivedDocuments) {}

  /** For the document's sender only. */
  async forSender(
    requester: string,
    ref: { busId?: string; documentId?: string },
  ): Promise<ArchivedDocument | null> {
    if (ref.busId !== undefined && !isUuid(ref.busId)) return null;
    if (!ref.busId && !ref.documentId) return null;
    const [found] = await this.archived.find({ ...ref, sender: requester });
    return found ?? null;
  }

  /** For an operator (the console): by DocumentId or bus id, whoever sent it. */
  async forOperator(ref: { busId?: string; documentId?: string }): Promise<ArchivedDocument[]> {
    if (ref.busId !== undefined && !isUuid(ref.busId)) return [];
    if (!ref.busId && !ref.documentId) return [];
    return this.archived.find(ref);
  }
}

/** What to tell whoever asked: where it is and how an operator brings it back. */
export function archivedAnswer(d: ArchivedDocument): string {
  return `document ${d.documentId} (${d.busId}) is archived in ${d.archivedIn}: an operator restores it with edoc-bus archive restore ${d.archivedIn}`;
}
