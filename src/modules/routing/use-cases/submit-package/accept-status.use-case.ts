import { Injectable } from '@nestjs/common';
import { isKnownStatusCode, type StatusPackage } from '../../../edoc/domain/status-package';
import { applyStatus } from '../../../delivery/domain/delivery-lifecycle';
import { routeStatus, SENDER_ISSUED_CODES } from '../../domain/status-routing';
import { Clock } from '../../../shared/clock';
import { IdGenerator } from '../../../shared/ids';
import { refusal } from '../../../shared/reasons';
import type { SignatureRecord } from '../../../trust/signature-record';
import type { SubmissionOutcome } from '../../domain/submission-outcome';
import { OutboxDispatcher } from '../../../delivery/outbox-dispatcher.port';
import { SubmissionRepository, type StatusTarget } from '../../submission-repository.port';
import { type Notices } from '../../../delivery/delivery-records';
import { packageBodyFor, withBodies } from './accept-document.use-case';
import { ReceiptIssuer } from '../../../delivery/receipt-issuer';
import { DeliveryChannels } from '../../../delivery/delivery-channels';
import type { ChannelOf } from '../../../delivery/domain/channel';
import { RejectPackage } from './reject-package.use-case';
import type { SubmitPackageCommand } from './submit-package.command';

interface Inspected {
  model: StatusPackage;
  sha256: string;
  size: number;
  warnings: string[];
  signature: SignatureRecord;
}

/** Codes about a change request (13 ask, 15/16 answer): they belong to the original document's copy. */
const CHANGE_CODES = new Set(['13', '15', '16']);

/**
 * Records a status package against the copy it is about, moves that copy along its lifecycle
 * (late or impossible statuses are kept and flagged, never dropped), and relays the status to the
 * other party — in one transaction with the sender's receipt. A 13 that reaches a copy still in
 * its inbox withdraws it.
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
    private readonly channels: DeliveryChannels,
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
    // Never relayed: an unknown code would reach the other party as if it meant something.
    if (!isKnownStatusCode(model.statusCode))
      return this.reject.execute(
        command,
        facts,
        refusal('STATUS_CODE_UNKNOWN', `StatusCode "${model.statusCode.slice(0, 20)}"`),
      );
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
    const target = pickTarget(candidates, route.recipient, model.statusCode);
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
    const channelOf = await this.channels.current();
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
      { packageId: busId, quarantineId: null, channel: channelOf(sender) },
    );
    const receiptBodies = new Map<string, Uint8Array>([[issued.receipt.id, issued.receipt.body]]);
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
      delivery: { packageId: target.busId, recipient: route.recipient },
      transition: (current) => applyStatus(current, model.statusCode),
      traceEvent: {
        packageId: target.busId,
        recipient: route.recipient,
        event: 'status',
        statusCode: model.statusCode,
        source: SENDER_ISSUED_CODES.has(model.statusCode) ? 'sender' : 'recipient',
        sourcePackageId: busId,
        at: now,
      },
      receipt: issued.receipt,
      outbox: [
        {
          destination: route.relayTo,
          channel: channelOf(route.relayTo),
          messageType: 'status',
          messageId: busId,
          packageId: busId,
          lane: SENDER_ISSUED_CODES.has(model.statusCode) ? 'urgent' : 'normal',
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
      onWithdrawn: () => {
        const notices = this.withdrawn(channelOf, sender, target, route.recipient, documentId, busId, now);
        if (notices.receipt) receiptBodies.set(notices.receipt.id, notices.receipt.body);
        return notices;
      },
    });
    if (result.stored) {
      this.outbox.dispatch(
        withBodies(result.outbox, packageBodyFor(command, this.repository, busId), receiptBodies),
      );
      return {
        outcome: 'accepted',
        kind: 'status',
        busId,
        documentId,
        recipients: [],
        warnings: [...inspected.warnings, ...(result.transition?.flag ? [result.transition.flag] : [])],
      };
    }
    if (!result.existing) {
      return this.reject.execute(
        command,
        facts,
        refusal('STATUS_NOT_A_PARTY', `${route.recipient} has no copy of document "${route.documentId}"`),
      );
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
      {
        packageId: result.existing.busId,
        quarantineId: null,
        packageArchived: result.existing.archivedIn !== null,
        channel: channelOf(sender),
      },
    );
    const stored = await this.repository.storeReceipt(duplicate.receipt, [duplicate.outbox], []);
    this.outbox.dispatch(
      withBodies(
        stored,
        packageBodyFor(command, this.repository, result.existing.busId),
        new Map([[duplicate.receipt.id, duplicate.receipt.body]]),
      ),
    );
    return { outcome: 'duplicate', kind: 'status', busId: result.existing.busId, documentId };
  }

  /** A 13 reached a copy still in the inbox: the recipient's SDK skips it, the sender is told. */
  private withdrawn(
    channelOf: ChannelOf,
    sender: string,
    target: StatusTarget,
    recipient: string,
    documentId: string,
    statusBusId: string,
    now: Date,
  ): Notices {
    const issued = this.receipts.issue(
      {
        outcome: 'withdrawn',
        packageKind: 'edoc',
        to: sender,
        busId: target.busId,
        documentId,
        recipients: [{ addressedTo: recipient, outcome: 'withdrawn' }],
      },
      { packageId: target.busId, quarantineId: null, channel: channelOf(sender) },
    );
    return {
      receipt: issued.receipt,
      outbox: [
        { ...issued.outbox, lane: 'urgent' },
        {
          destination: recipient,
          channel: channelOf(recipient),
          messageType: 'withdrawal',
          messageId: `${target.busId}:withdrawal`,
          lane: 'urgent',
          body: Buffer.from(JSON.stringify({ busId: target.busId, documentId, recalledBy: statusBusId })),
          headers: { 'x-edoc-bus-id': target.busId, 'x-edoc-document-id': documentId },
        },
      ],
      traceEvents: [
        {
          packageId: target.busId,
          recipient,
          event: 'withdrawn',
          source: 'bus',
          sourcePackageId: statusBusId,
          at: now,
        },
      ],
    };
  }
}

/**
 * The copy a status is about. For 13/15/16, the original document's copy: found directly when the
 * status names the original's DocumentId, or through the recall/update/replacement it names.
 * For 01…06, the newest package with that DocumentId that went to this recipient.
 */
function pickTarget(candidates: StatusTarget[], recipient: string, code: string): StatusTarget | undefined {
  const withRecipient = candidates.filter((c) => c.recipients.includes(recipient));
  if (!CHANGE_CODES.has(code)) return withRecipient[0];
  const original = withRecipient.find((c) => c.businessDocType === 0);
  if (original) return original;
  const change = withRecipient.find((c) => c.relatedPackageId !== null);
  if (change?.relatedPackageId) {
    return { ...change, busId: change.relatedPackageId, businessDocType: 0, relatedPackageId: null };
  }
  return withRecipient[0];
}
