import { Injectable } from '@nestjs/common';
import { writeBusReceipt, type BusReceipt } from './domain/bus-receipt';
import { Clock } from '../shared/clock';
import { IdGenerator } from '../shared/ids';
import { ReceiptSigner } from './receipt-signer.port';
import type { OutboxRecord, ReceiptRecord } from '../routing/submission.repository';

/** Builds the receipt a sender gets for a package, signed by the bus, and the outbox row that will carry it. */
@Injectable()
export class ReceiptIssuer {
  constructor(
    private readonly ids: IdGenerator,
    private readonly clock: Clock,
    private readonly signer: ReceiptSigner,
  ) {}

  issue(
    content: Omit<BusReceipt, 'receiptId' | 'issuedAt'>,
    links: { packageId: string | null; quarantineId: string | null },
  ): { receipt: ReceiptRecord; outbox: OutboxRecord } {
    const receiptId = this.ids.newId();
    const issuedAt = this.clock.now();
    const signed = this.signer.sign(writeBusReceipt({ ...content, receiptId, issuedAt }));
    const body = Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n${signed}\n`, 'utf8');
    const receipt: ReceiptRecord = {
      id: receiptId,
      recipient: content.to,
      packageId: links.packageId,
      quarantineId: links.quarantineId,
      outcome: content.outcome,
      reasonCode: content.refusal?.code ?? null,
      body,
      issuedAt,
    };
    const headers: Record<string, string> = { 'x-edoc-receipt-outcome': content.outcome };
    if (content.busId) headers['x-edoc-bus-id'] = content.busId;
    if (content.documentId) headers['x-edoc-document-id'] = content.documentId;
    if (content.transportMessageId) headers['x-edoc-correlation-id'] = content.transportMessageId;
    if (content.refusal) headers['x-edoc-reason'] = content.refusal.code;
    return {
      receipt,
      outbox: { destination: content.to, messageType: 'receipt', messageId: receiptId, receiptId, headers },
    };
  }
}
