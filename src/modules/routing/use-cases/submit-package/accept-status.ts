import { Injectable } from '@nestjs/common';
import { isKnownStatusCode, type StatusPackage } from '../../../edoc/domain/status-package';
import { STATE_FOR_STATUS } from '../../../receipts/domain/delivery-state';
import { routeStatus } from '../../../receipts/domain/status-routing';
import { Clock } from '../../../shared/clock';
import type { SignatureRecord } from '../../../trust/signature-record';
import { IdGenerator } from '../../../shared/ids';
import { refusal } from '../../../shared/reasons';
import type { SubmissionOutcome } from '../../domain/submission-outcome';
import { OutboxDispatcher } from '../../outbox-dispatcher.port';
import { SubmissionRepository } from '../../submission.repository';
import { withBodies } from './accept-document';
import { ReceiptIssuer } from './receipt-issuer';
import { RejectPackage } from './reject-package';
import type { SubmitPackageCommand } from './submit-package.command';

interface Inspected {
  model: StatusPackage;
  sha256: string;
  size: number;
  warnings: string[];
  signature: SignatureRecord;
}

/**
 * Records a status package against the copy it is about, moves that copy's state and relays the
 * status to the other party — in one transaction with the sender's receipt.
 */
@Injectable()
export class AcceptStatus {
  constructor(
    private readonly repository: SubmissionRepository,
    private readonly outbox: OutboxDispatcher,
    private readonly receipts: ReceiptIssuer,
    private readonly reject: RejectPackage,
    private readonly ids: IdGenerator,
    private readonly clock: Clock,
  ) {}

  async execute(
    command: SubmitPackageCommand,
    sender: string,
    inspected: Inspected,
  ): Promise<SubmissionOutcome> {
    const { model, sha256, size } = inspected;
    const documentId = model.responseFor.documentId ?? '';
    const facts = {
      sha256,
      size,
      kind: 'status' as const,
      claimedSender: model.from.organId,
      documentId,
      statusCode: model.statusCode,
    };
    const route = routeStatus(model, sender);
    if (typeof route === 'string')
      return this.reject.execute(command, facts, refusal('EDXML_INVALID', route));
    const candidates = await this.repository.findStatusTargets(route.documentSender, route.documentId);
    if (candidates.length === 0) {
      return this.reject.execute(
        command,
        facts,
        refusal('STATUS_UNKNOWN_DOCUMENT', `no document "${route.documentId}" from ${route.documentSender}`),
      );
    }
    // The newest package with this DocumentId that went to this recipient (a recall or update
    // shares the original's DocumentId; 15/16 answer the newest).
    const target = candidates.find((c) => c.recipients.includes(route.recipient));
    if (!target) {
      return this.reject.execute(
        command,
        facts,
        refusal(
          'STATUS_NOT_A_PARTY',
          `${route.recipient} is not a recipient of document "${route.documentId}"`,
        ),
      );
    }

    const busId = this.ids.newId();
    const now = this.clock.now();
    const issued = this.receipts.issue(
      {
        outcome: 'accepted',
        packageKind: 'status',
        to: sender,
        busId,
        documentId,
        statusCode: model.statusCode,
        transportMessageId: command.transportMessageId,
        sha256,
        size,
        warnings: inspected.warnings,
        signature: inspected.signature,
      },
      { packageId: busId, quarantineId: null },
    );
    const result = await this.repository.storeAcceptedStatus({
      busId,
      sender,
      documentId,
      statusCode: model.statusCode,
      relatedPackageId: target.busId,
      sha256,
      size,
      transport: command.transport,
      transportMessageId: command.transportMessageId,
      receivedAt: command.receivedAt,
      acceptedAt: now,
      body: command.body,
      signature: inspected.signature,
      delivery: {
        packageId: target.busId,
        recipient: route.recipient,
        state: isKnownStatusCode(model.statusCode) ? STATE_FOR_STATUS[model.statusCode] : 'queued',
      },
      traceEvents: [
        {
          packageId: target.busId,
          recipient: route.recipient,
          event: 'status',
          statusCode: model.statusCode,
          source: sender === route.recipient ? 'recipient' : 'sender',
          sourcePackageId: busId,
          at: now,
          detail: isKnownStatusCode(model.statusCode) ? undefined : { flag: 'unknown status code' },
        },
      ],
      receipt: issued.receipt,
      outbox: [
        {
          destination: route.relayTo,
          messageType: 'status',
          messageId: busId,
          packageId: busId,
          headers: {
            'x-edoc-bus-id': busId,
            'x-edoc-document-bus-id': target.busId,
            'x-edoc-document-id': documentId,
            'x-edoc-from': sender,
            'x-edoc-status-code': model.statusCode,
          },
        },
        issued.outbox,
      ],
    });
    if (result.stored) {
      this.outbox.dispatch(withBodies(result.outbox, command.body, issued.receipt.body));
      return {
        outcome: 'accepted',
        kind: 'status',
        busId,
        documentId,
        recipients: [],
        warnings: inspected.warnings,
      };
    }
    if (command.transportMessageId && result.existing.transportMessageId === command.transportMessageId) {
      return { outcome: 'replayed', busId: result.existing.busId };
    }
    const duplicate = this.receipts.issue(
      {
        outcome: 'duplicate',
        packageKind: 'status',
        to: sender,
        busId: result.existing.busId,
        documentId,
        statusCode: model.statusCode,
        transportMessageId: command.transportMessageId,
        sha256,
        size,
      },
      { packageId: result.existing.busId, quarantineId: null },
    );
    const stored = await this.repository.storeReceipt(duplicate.receipt, [duplicate.outbox], []);
    this.outbox.dispatch(stored.map((s) => ({ ...s, body: duplicate.receipt.body })));
    return { outcome: 'duplicate', kind: 'status', busId: result.existing.busId, documentId };
  }
}
