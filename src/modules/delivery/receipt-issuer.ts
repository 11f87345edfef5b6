import { Injectable } from '@nestjs/common';
import { writeBusReceipt, type BusReceipt } from './domain/bus-receipt';
import { Clock } from '../shared/clock';
import { IdGenerator, uuid7Time } from '../shared/ids';
import { ReceiptSigner } from './receipt-signer.port';
import type { OutboxRecord, ReceiptRecord } from './delivery-records';
import type { Channel } from './domain/channel';

/** Builds the receipt a sender gets for a package, signed by the bus, and the outbox row that will carry it. */
@Injectable()
export class ReceiptIssuer {
  constructor(
    private readonly ids: IdGenerator,
    private readonly clock: Clock,
    private readonly signer: ReceiptSigner,
  ) {}

  /**
   * A receipt about a package is filed in that package's month — its id carries the package's
   * moment, as the package's trace is keyed by the package — so that a document's evidence is one
   * month: one partition for its timeline, one archive set for an auditor. The id stays unique
   * (74 random bits). A package whose month has left the database (`packageArchived`: a duplicate
   * of an archived original) is not followed there; its receipt is filed now.
   */
  issue(
    content: Omit<BusReceipt, 'receiptId' | 'issuedAt'>,
    links: {
      packageId: string | null;
      quarantineId: string | null;
      packageArchived?: boolean;
      /** Where the receiver reads its mail (decided by the caller from the registry). */
      channel: Channel;
    },
  ): { receipt: ReceiptRecord; outbox: OutboxRecord } {
    const receiptId =
      links.packageId !== null && links.packageArchived !== true
        ? this.ids.newIdAt(uuid7Time(links.packageId))
        : this.ids.newId();
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
      outbox: {
        destination: content.to,
        channel: links.channel,
        messageType: 'receipt',
        messageId: receiptId,
        receiptId,
        headers,
      },
    };
  }
}
