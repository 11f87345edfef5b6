import { Injectable } from '@nestjs/common';
import type { EdocPackage } from '../../../edoc/domain/edoc-package';
import type { ReceiptRecipient } from '../../../receipts/domain/bus-receipt';
import { Directory } from '../../../registry/directory';
import type { RecipientResolution, RoutedRecipient } from '../../../registry/domain/recipient-resolution';
import { Clock } from '../../../shared/clock';
import type { SignatureRecord } from '../../../trust/signature-record';
import { IdGenerator } from '../../../shared/ids';
import { refusal } from '../../../shared/reasons';
import type { SubmissionOutcome } from '../../domain/submission-outcome';
import { OutboxDispatcher, type PendingMessage } from '../../outbox-dispatcher.port';
import {
  SubmissionRepository,
  type OutboxRecord,
  type StoredOutbox,
  type TraceEventRecord,
} from '../../submission.repository';
import { ReceiptIssuer } from './receipt-issuer';
import { RejectPackage } from './reject-package';
import type { SubmitPackageCommand } from './submit-package.command';

interface Inspected {
  model: EdocPackage;
  sha256: string;
  size: number;
  warnings: string[];
  signature: SignatureRecord;
}

/**
 * Routes an inspected, sender-bound document: resolves its recipients, then in ONE transaction
 * stores the package, a delivery row per recipient, the trace, the sender's receipt and an outbox
 * row per copy. A resend of the same package gets the original bus id; the same key with other
 * content is a conflict.
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
  ) {}

  async execute(
    command: SubmitPackageCommand,
    sender: string,
    inspected: Inspected,
  ): Promise<SubmissionOutcome> {
    const { model, sha256, size } = inspected;
    const documentId = model.header.documentId;
    const facts = {
      sha256,
      size,
      kind: 'edoc' as const,
      claimedSender: model.header.from.organId,
      documentId,
    };
    const resolutions = await this.directory.resolve(model.header.to.map((t) => t.organId));
    const routed = resolutions.filter((r): r is RoutedRecipient => r.outcome === 'routed');
    if (routed.length === 0) return this.reject.execute(command, facts, noRecipientRefusal(resolutions));

    const busId = this.ids.newId();
    const now = this.clock.now();
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
      { packageId: busId, quarantineId: null },
    );
    const copies: OutboxRecord[] = routed
      .filter((r) => r.transport === 'amqp')
      .map((r) => ({
        destination: r.organId,
        messageType: 'edoc',
        messageId: busId,
        packageId: busId,
        headers: {
          'x-edoc-bus-id': busId,
          'x-edoc-document-id': documentId,
          'x-edoc-from': sender,
          'x-edoc-business-doc-type': String(model.business?.businessDocType ?? 0),
          'x-edoc-priority': String(model.header.otherInfo?.priority ?? 0),
          ...optionalHeader('x-edoc-code', codeOf(model)),
          ...optionalHeader('x-edoc-promulgation-date', model.header.promulgationInfo?.promulgationDate),
        },
      }));
    const result = await this.repository.storeAcceptedDocument({
      busId,
      sender,
      documentId,
      businessDocType: model.business?.businessDocType ?? 0,
      sha256,
      size,
      transport: command.transport,
      transportMessageId: command.transportMessageId,
      subject: model.header.subject ?? null,
      codeNumber: model.header.code?.codeNumber ?? null,
      codeNotation: model.header.code?.codeNotation ?? null,
      priority: model.header.otherInfo?.priority ?? null,
      receivedAt: command.receivedAt,
      acceptedAt: now,
      body: command.body,
      signature: inspected.signature,
      deliveries: routed.map((r) => ({ recipient: r.organId, addressedTo: r.addressedTo })),
      traceEvents: traceOf(busId, resolutions, now),
      receipt: issued.receipt,
      outbox: [...copies, issued.outbox],
    });

    if (result.stored) {
      this.outbox.dispatch(withBodies(result.outbox, command.body, issued.receipt.body));
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
      { packageId: existing.busId, quarantineId: null },
    );
    const stored = await this.repository.storeReceipt(
      duplicate.receipt,
      [duplicate.outbox],
      [
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
    this.outbox.dispatch(stored.map((s) => ({ ...s, body: duplicate.receipt.body })));
    return { outcome: 'duplicate', kind: 'edoc', busId: existing.busId, documentId };
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

/** Attaches the in-memory bodies to committed rows so the fast path needs no read-back. */
export function withBodies(
  rows: StoredOutbox[],
  packageBody: Uint8Array,
  receiptBody: Uint8Array,
): PendingMessage[] {
  return rows.map((row) => ({
    ...row,
    body: row.record.messageType === 'receipt' ? receiptBody : packageBody,
  }));
}
