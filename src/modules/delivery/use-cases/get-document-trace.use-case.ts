import { Injectable } from '@nestjs/common';
import { isUuid } from '../../shared/ids';
import { DeliveryRepository } from '../delivery-repository.port';
import type { DocumentTrace } from '../domain/document-trace';

export interface GetDocumentTraceQuery {
  /** The authenticated endpoint asking: only a document's sender sees its trace. */
  requester: string;
  busId?: string;
  documentId?: string;
}

/**
 * The whole picture of a document for its sender, at any time: one line per recipient with its
 * current state, change request, deadlines and history. Anyone else gets nothing — not even
 * whether the document exists.
 */
@Injectable()
export class GetDocumentTrace {
  constructor(private readonly deliveries: DeliveryRepository) {}

  async execute(query: GetDocumentTraceQuery): Promise<DocumentTrace | null> {
    if (query.busId !== undefined && !isUuid(query.busId)) return null;
    if (!query.busId && !query.documentId) return null;
    return this.deliveries.documentTrace(query.requester, {
      busId: query.busId,
      documentId: query.documentId,
    });
  }
}
