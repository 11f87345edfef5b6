import { Injectable } from '@nestjs/common';
import type { EdocPackage } from '../../../edoc/domain/edoc-package';
import type { ReceiptRecipient } from '../../../delivery/domain/bus-receipt';
import { dueDates, isUrgent, LifecycleSettings } from '../../../delivery/lifecycle-settings';
import { requestChange } from '../../../delivery/domain/delivery-lifecycle';
import { Directory } from '../../../registry/directory';
import type { RecipientResolution, RoutedRecipient } from '../../../registry/domain/recipient-resolution';
import { Clock } from '../../../shared/clock';
import { IdGenerator } from '../../../shared/ids';
import { refusal } from '../../../shared/reasons';
import type { SignatureRecord } from '../../../trust/signature-record';
import { changeReference } from '../../domain/business-reference';
import type { SubmissionOutcome } from '../../domain/submission-outcome';
import { OutboxDispatcher, type PendingMessage } from '../../../delivery/outbox-dispatcher.port';
import { SubmissionRepository, type ChangeRequest } from '../../submission-repository.port';
import {
  type Lane,
  type Notices,
  type OutboxRecord,
  type StoredOutbox,
  type TraceEventRecord,
} from '../../../delivery/delivery-records';
import { ReceiptIssuer } from '../../../delivery/receipt-issuer';
import { DeliveryChannels } from '../../../delivery/delivery-channels';
import { channelFor, type ChannelOf } from '../../../delivery/domain/channel';
import { RejectPackage, type RejectionFacts } from './reject-package.use-case';
import type { SubmitPackageCommand } from './submit-package.command';
import { isSpooled } from '../../../shared/package-body';

interface Inspected {
  model: EdocPackage;
  sha256: string;
  size: number;
  warnings: string[];
  signature: SignatureRecord;
}

/**
 * Routes an inspected, sender-bound document: resolves its recipients; for a recall, update or
 * replacement checks that the original exists and went to those recipients; then in one
 * transaction stores the package, a delivery per recipient (with its deadlines), the trace, the
 * sender's receipt and an outbox row per copy — in the urgent lane when the document is urgent.
 * A recall that reaches a copy still in its inbox withdraws it: the recipient's SDK skips it and
 * the sender is told. A resend gets the original bus id; the same key with other content is a
 * conflict.
 */
@Injectable()
export class AcceptDocument {
  constructor(
    private readonly directory: Directory,
    private readonly repository: SubmissionRepository,
    private readonly outbox: OutboxDispatcher,
    private readonly receipts: ReceiptIssuer,
    private readonly reject: RejectPackage,
    private readonly ids: IdGenerator,
    private readonly clock: Clock,
    private readonly lifecycle: LifecycleSettings,
    private readonly channels: DeliveryChannels,
  ) {}

  async execute(
    command: SubmitPackageCommand,
    sender: string,
    inspected: Inspected,
  ): Promise<SubmissionOutcome> {
    const { model, sha256, size } = inspected;
    const documentId = model.header.documentId;
    const facts: RejectionFacts = {
      sha256,
      size,
      kind: 'edoc',
      claimedSender: model.header.from.organId,
      documentId,
    };
    const resolutions = await this.directory.resolve(model.header.to.map((t) => t.organId));
    const routed = resolutions.filter((r): r is RoutedRecipient => r.outcome === 'routed');
    if (routed.length === 0) return this.reject.execute(command, facts, noRecipientRefusal(resolutions));

    const reference = changeReference(model);
    let original: { busId: string; recipients: string[] } | null = null;
    if (reference) {
      original = await this.repository.findOriginal(sender, reference.documentId);
      if (!original) {
        return this.reject.execute(
          command,
          facts,
          refusal('ORIGINAL_NOT_FOUND', `no document "${reference.documentId}" from ${sender}`),
        );
      }
      const strangers = routed.filter((r) => !original!.recipients.includes(r.organId)).map((r) => r.organId);
      if (strangers.length > 0) {
        return this.reject.execute(
          command,
          facts,
          refusal(
            'NOT_A_RECIPIENT_OF_ORIGINAL',
            ...strangers.map((s) => `${s} did not receive "${reference.documentId}"`),
          ),
        );
      }
    }

    const busId = this.ids.newId();
    const now = this.clock.now();
    const channelOf = await this.channels.current();
    const priority = model.header.otherInfo?.priority ?? 0;
    const lane: Lane = isUrgent(priority) ? 'urgent' : 'normal';
    const due = dueDates(this.lifecycle, priority, now);
    const recipients = receiptRecipients(resolutions);
    const issued = this.receipts.issue(
      {
        outcome: 'accepted',
        packageKind: 'edoc',
        to: sender,
        busId,
        documentId,
        transportMessageId: command.transportMessageId,
        sha256,
        size,
        recipients,
        warnings: inspected.warnings,
        signature: inspected.signature,
      },
      { packageId: busId, quarantineId: null, channel: channelOf(sender) },
    );
    const receiptBodies = new Map<string, Uint8Array>([[issued.receipt.id, issued.receipt.body]]);
    const headers: Record<string, string> = {
      'x-edoc-bus-id': busId,
      'x-edoc-document-id': documentId,
      'x-edoc-from': sender,
      'x-edoc-business-doc-type': String(model.business?.businessDocType ?? 0),
      'x-edoc-priority': String(priority),
      ...optionalHeader('x-edoc-code', codeOf(model)),
      ...optionalHeader('x-edoc-promulgation-date', model.header.promulgationInfo?.promulgationDate),
      ...optionalHeader('x-edoc-original-bus-id', original?.busId),
    };
    // Each copy goes the way its recipient was routed: a broker inbox's outbox row, published
    // after the commit, or an item of a polling endpoint's pull inbox, written by the commit.
    const copies: OutboxRecord[] = routed.map((r) => ({
      destination: r.organId,
      channel: channelFor(r.transport),
      messageType: 'edoc',
      messageId: busId,
      lane,
      packageId: busId,
      headers,
    }));
    const trace = traceOf(busId, resolutions, now);
    if (original && reference) {
      for (const r of routed) {
        trace.push({
          packageId: original.busId,
          recipient: r.organId,
          event: 'change-requested',
          source: 'sender',
          sourcePackageId: busId,
          at: now,
          detail: { kind: reference.kind },
        });
      }
    }
    const change: ChangeRequest | undefined =
      original && reference
        ? {
            originalPackageId: original.busId,
            kind: reference.kind,
            recipients: routed.map((r) => r.organId),
            transition: (current) => requestChange(current, reference.kind),
            onWithdrawn: (withdrawn) => {
              const notices = this.withdrawnNotices(
                channelOf,
                sender,
                original.busId,
                reference.documentId,
                withdrawn,
                busId,
                now,
              );
              if (notices.receipt) receiptBodies.set(notices.receipt.id, notices.receipt.body);
              return notices;
            },
          }
        : undefined;

    const result = await this.repository.storeAcceptedDocument({
      busId,
      sender,
      documentId,
      businessDocType: model.business?.businessDocType ?? 0,
      relatedPackageId: original?.busId ?? null,
      sha256,
      size,
      transport: command.transport,
      transportMessageId: command.transportMessageId,
      subject: model.header.subject ?? null,
      codeNumber: model.header.code?.codeNumber ?? null,
      codeNotation: model.header.code?.codeNotation ?? null,
      priority,
      receivedAt: command.receivedAt,
      acceptedAt: now,
      body: command.body,
      signature: inspected.signature,
      deliveries: routed.map((r) => ({
        recipient: r.organId,
        addressedTo: r.addressedTo,
        arrivalDueAt: due.arrival,
        decisionDueAt: due.decision,
      })),
      traceEvents: trace,
      receipt: issued.receipt,
      outbox: [...copies, { ...issued.outbox, lane }],
      change,
    });

    if (result.stored) {
      this.outbox.dispatch(
        withBodies(result.outbox, packageBodyFor(command, this.repository, busId), receiptBodies),
      );
      return {
        outcome: 'accepted',
        kind: 'edoc',
        busId,
        documentId,
        recipients,
        warnings: inspected.warnings,
      };
    }
    const existing = result.existing;
    if (existing.sha256 !== sha256) {
      return this.reject.execute(
        command,
        facts,
        refusal(
          'DUPLICATE_CONFLICT',
          `bus id ${existing.busId} was accepted for this DocumentId and business type`,
        ),
      );
    }
    if (command.transportMessageId && existing.transportMessageId === command.transportMessageId) {
      return { outcome: 'replayed', busId: existing.busId };
    }
    const duplicate = this.receipts.issue(
      {
        outcome: 'duplicate',
        packageKind: 'edoc',
        to: sender,
        busId: existing.busId,
        documentId,
        transportMessageId: command.transportMessageId,
        sha256,
        size,
      },
      {
        packageId: existing.busId,
        quarantineId: null,
        packageArchived: existing.archivedIn !== null,
        channel: channelOf(sender),
      },
    );
    // The same content as the original, so the same urgency: its answer overtakes a backlog too.
    // An archived original's trace is in its archive set: the duplicate is told, not traced.
    const stored = await this.repository.storeReceipt(
      duplicate.receipt,
      [{ ...duplicate.outbox, lane }],
      existing.archivedIn
        ? []
        : [
            {
              packageId: existing.busId,
              recipient: null,
              event: 'duplicate',
              source: 'sender',
              at: now,
              detail: { transportMessageId: command.transportMessageId },
            },
          ],
    );
    this.outbox.dispatch(
      withBodies(
        stored,
        packageBodyFor(command, this.repository, existing.busId),
        new Map([[duplicate.receipt.id, duplicate.receipt.body]]),
      ),
    );
    return { outcome: 'duplicate', kind: 'edoc', busId: existing.busId, documentId };
  }

  /** Copies a recall took back before they were taken: tell the sender, and tell each recipient's SDK to skip them. */
  private withdrawnNotices(
    channelOf: ChannelOf,
    sender: string,
    originalBusId: string,
    documentId: string,
    withdrawn: string[],
    recallBusId: string,
    now: Date,
  ): Notices {
    const issued = this.receipts.issue(
      {
        outcome: 'withdrawn',
        packageKind: 'edoc',
        to: sender,
        busId: originalBusId,
        documentId,
        recipients: withdrawn.map((r) => ({ addressedTo: r, outcome: 'withdrawn' })),
      },
      { packageId: originalBusId, quarantineId: null, channel: channelOf(sender) },
    );
    return {
      receipt: issued.receipt,
      outbox: [
        { ...issued.outbox, lane: 'urgent' },
        ...withdrawn.map((r): OutboxRecord => ({
          destination: r,
          channel: channelOf(r),
          messageType: 'withdrawal',
          messageId: `${originalBusId}:withdrawal`,
          lane: 'urgent',
          body: Buffer.from(JSON.stringify({ busId: originalBusId, documentId, recalledBy: recallBusId })),
          headers: { 'x-edoc-bus-id': originalBusId, 'x-edoc-document-id': documentId },
        })),
      ],
      traceEvents: withdrawn.map((r) => ({
        packageId: originalBusId,
        recipient: r,
        event: 'withdrawn',
        source: 'bus',
        sourcePackageId: recallBusId,
        at: now,
      })),
    };
  }
}

function codeOf(model: EdocPackage): string | undefined {
  const { codeNumber, codeNotation } = model.header.code ?? {};
  if (!codeNumber && !codeNotation) return undefined;
  return [codeNumber, codeNotation].filter(Boolean).join('/');
}

function optionalHeader(name: string, value: string | undefined): Record<string, string> {
  return value ? { [name]: value } : {};
}

function noRecipientRefusal(resolutions: RecipientResolution[]) {
  const reasons = new Set(resolutions.map((r) => (r.outcome === 'refused' ? r.reason : 'routed')));
  const details = resolutions.map(
    (r) => `${r.addressedTo}: ${r.outcome === 'refused' ? r.reason : 'routed'}`,
  );
  if (reasons.size === 1 && !reasons.has('routed'))
    return refusal([...reasons][0] as 'UNKNOWN_RECIPIENT', ...details);
  return refusal('NO_VALID_RECIPIENT', ...details);
}

function receiptRecipients(resolutions: RecipientResolution[]): ReceiptRecipient[] {
  return resolutions.map((r) =>
    r.outcome === 'routed'
      ? { addressedTo: r.addressedTo, outcome: 'queued', routedTo: r.organId }
      : { addressedTo: r.addressedTo, outcome: 'refused', reason: r.reason },
  );
}

function traceOf(busId: string, resolutions: RecipientResolution[], at: Date): TraceEventRecord[] {
  const events: TraceEventRecord[] = [
    { packageId: busId, recipient: null, event: 'accepted', source: 'bus', at },
  ];
  for (const r of resolutions) {
    events.push(
      r.outcome === 'routed'
        ? {
            packageId: busId,
            recipient: r.organId,
            event: 'queued',
            source: 'bus',
            at,
            detail: r.viaAlias ? { addressedTo: r.addressedTo } : undefined,
          }
        : {
            packageId: busId,
            recipient: r.addressedTo,
            event: 'refused',
            source: 'bus',
            at,
            detail: { reason: r.reason },
          },
    );
  }
  return events;
}

/**
 * The package for the fast path's copies: the received bytes, or — when the upload was spooled
 * rather than held — read back only for a copy that needs it whole (a broker inbox), once for
 * all of them: a broadcast to 94 ministries holds one copy of the package, not 94.
 */
export function packageBodyFor(
  command: SubmitPackageCommand,
  repository: SubmissionRepository,
  busId: string,
): PendingMessage['body'] {
  const body = command.body;
  if (!isSpooled(body)) return body;
  let read: Promise<Uint8Array> | null = null;
  return () => (read ??= repository.readPackageBody(busId));
}

/** Attaches bodies to committed rows so the fast path needs no read-back. */
export function withBodies(
  rows: StoredOutbox[],
  packageBody: PendingMessage['body'],
  receiptBodies: Map<string, Uint8Array>,
): PendingMessage[] {
  return rows.map((row) => {
    const r = row.record;
    const body = r.body ?? (r.receiptId ? receiptBodies.get(r.receiptId) : packageBody);
    if (!body) throw new Error(`no body for outbox row ${row.id}`);
    return { ...row, body };
  });
}
