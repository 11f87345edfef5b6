import { Injectable } from '@nestjs/common';
import { Directory } from '../../../registry/directory';
import { IdGenerator } from '../../../shared/ids';
import { describeRefusal, type Refusal } from '../../../shared/reasons';
import type { SubmissionOutcome } from '../../domain/submission-outcome';
import { OutboxDispatcher } from '../../../delivery/outbox-dispatcher.port';
import { SubmissionSettings } from '../../submission-settings';
import { SubmissionRepository } from '../../submission-repository.port';
import { ReceiptIssuer } from '../../../delivery/receipt-issuer';
import { channelFor } from '../../../delivery/domain/channel';
import type { SubmitPackageCommand } from './submit-package.command';

export interface RejectionFacts {
  sha256: string;
  size: number;
  kind: 'edoc' | 'status' | null;
  claimedSender: string | null;
  documentId: string | null;
  statusCode?: string;
  /** What the message was when it is not a package (a `delivered` notice…), for the quarantine row. */
  messageType?: string;
}

/**
 * Refuses a package: keeps it in quarantine with its reason and, when the sender is a registered
 * endpoint, tells it why in a receipt. The transport then acknowledges the message, so a bad
 * package never loops in a queue.
 */
@Injectable()
export class RejectPackage {
  constructor(
    private readonly repository: SubmissionRepository,
    private readonly outbox: OutboxDispatcher,
    private readonly receipts: ReceiptIssuer,
    private readonly directory: Directory,
    private readonly settings: SubmissionSettings,
    private readonly ids: IdGenerator,
  ) {}

  async execute(
    command: SubmitPackageCommand,
    facts: RejectionFacts,
    refusal: Refusal,
  ): Promise<SubmissionOutcome> {
    const quarantineId = this.ids.newId();
    const cap = this.settings.quarantineMaxStoredBytes;
    const body = command.body;
    const sender = command.authenticatedSender;
    const endpoint = sender ? await this.directory.endpoint(sender) : undefined;
    const receiptTo = endpoint ? endpoint.organId : null;
    const issued = receiptTo
      ? this.receipts.issue(
          {
            outcome: 'rejected',
            packageKind: facts.kind,
            to: receiptTo,
            documentId: facts.documentId,
            statusCode: facts.statusCode,
            transportMessageId: command.transportMessageId,
            sha256: facts.sha256,
            size: facts.size,
            refusal,
          },
          { packageId: null, quarantineId, channel: channelFor(endpoint?.transport) },
        )
      : null;
    const stored = await this.repository.storeRejection(
      {
        id: quarantineId,
        receivedAt: command.receivedAt,
        transport: command.transport,
        transportMessageId: command.transportMessageId,
        authenticatedSender: sender,
        claimedSender: facts.claimedSender,
        messageType: facts.messageType ?? facts.kind ?? command.declaredKind,
        documentId: facts.documentId,
        reasonCode: refusal.code,
        reasonText: describeRefusal(refusal).en,
        details: refusal.details,
        sha256: facts.sha256,
        size: facts.size,
        body,
        storedBytes: Math.min(body.length, cap),
        bodyTruncated: body.length > cap,
      },
      issued?.receipt ?? null,
      issued ? [issued.outbox] : [],
    );
    if (issued) this.outbox.dispatch(stored.map((s) => ({ ...s, body: issued.receipt.body })));
    return { outcome: 'rejected', quarantineId, refusal, receiptIssued: issued !== null };
  }
}
