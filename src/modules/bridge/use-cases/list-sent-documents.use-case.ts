import { Injectable } from '@nestjs/common';
import { DeliveryRepository, type SentDocument } from '../../delivery/delivery-repository.port';
import { isUuid } from '../../shared/ids';

/** A bridge endpoint's sent documents with each recipient's state, newest first. */
@Injectable()
export class ListSentDocuments {
  constructor(private readonly deliveries: DeliveryRepository) {}

  async execute(query: {
    sender: string;
    before: string | null;
    limit: number;
  }): Promise<{ documents: SentDocument[]; next: string | null }> {
    const limit = Math.max(1, Math.min(200, Math.floor(query.limit) || 50));
    const before = query.before && isUuid(query.before) ? query.before : null;
    const documents = await this.deliveries.sentDocuments(query.sender, { before, limit });
    return { documents, next: documents.length === limit ? documents[documents.length - 1]!.busId : null };
  }
}
