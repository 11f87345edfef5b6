import { Injectable } from '@nestjs/common';
import { DeliveryRepository } from '../../delivery/delivery-repository.port';
import type { DocumentTrace } from '../../delivery/domain/document-trace';
import { isUuid } from '../../shared/ids';
import { ConsoleReadModel, type DocumentEvidence } from '../console-read-model.port';

/** One document as an operator sees it: every recipient's states, whoever sent it. */
@Injectable()
export class GetDocumentTimeline {
  constructor(
    private readonly read: ConsoleReadModel,
    private readonly deliveries: DeliveryRepository,
  ) {}

  /** The copies' histories, the signature evidence (signer, chain, revocation answers and their age, PDF signatures) and the receipts. */
  async execute(busId: string): Promise<{ trace: DocumentTrace; evidence: DocumentEvidence } | null> {
    if (!isUuid(busId)) return null;
    const sender = await this.read.senderOf(busId);
    if (!sender) return null;
    const [trace, evidence] = await Promise.all([
      this.deliveries.documentTrace(sender, { busId }),
      this.read.evidenceOf(busId),
    ]);
    return trace ? { trace, evidence } : null;
  }
}
