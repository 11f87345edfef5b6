import { Injectable } from '@nestjs/common';
import { OutboxDispatcher } from '../outbox-dispatcher.port';
import type { Notices } from '../delivery-records';
import { Clock } from '../../shared/clock';
import { DeliveryRepository, type OverdueCopy } from '../delivery-repository.port';
import { isUrgent } from '../lifecycle-settings';
import { ReceiptIssuer } from '../receipt-issuer';
import { DeliveryChannels } from '../delivery-channels';
import type { ChannelOf } from '../domain/channel';

const BATCH = 500;

/**
 * Finds copies past their deadline (no 01 in time, or no 03/02 in time), flags them, and tells each
 * sender in one overdue receipt per document and deadline. Safe to run from several bus processes
 * at once: a copy is marked by a guarded update, so each sender is told once per level.
 */
@Injectable()
export class FlagOverdueCopies {
  constructor(
    private readonly deliveries: DeliveryRepository,
    private readonly receipts: ReceiptIssuer,
    private readonly outbox: OutboxDispatcher,
    private readonly clock: Clock,
    private readonly channels: DeliveryChannels,
  ) {}

  async execute(): Promise<{ flagged: number }> {
    const now = this.clock.now();
    const due = await this.deliveries.findOverdue(now, BATCH);
    if (due.length === 0) return { flagged: 0 };
    const channelOf = await this.channels.current();
    let flagged = 0;
    for (const group of groupByDocument(due)) {
      const first = group[0]!;
      const bodies = new Map<string, Uint8Array>();
      const { marked, outbox } = await this.deliveries.markOverdue(
        { packageId: first.packageId, kind: first.kind, recipients: group.map((c) => c.recipient), at: now },
        (recipients) => {
          const notices = this.notices(channelOf, first, recipients, group, now);
          if (notices.receipt) bodies.set(notices.receipt.id, notices.receipt.body);
          return notices;
        },
      );
      flagged += marked.length;
      this.outbox.dispatch(
        outbox.map((o) => ({ ...o, body: bodies.get(o.record.receiptId ?? '') ?? new Uint8Array() })),
      );
    }
    return { flagged };
  }

  private notices(
    channelOf: ChannelOf,
    copy: OverdueCopy,
    recipients: string[],
    group: OverdueCopy[],
    now: Date,
  ): Notices {
    const outcome = copy.kind === 'arrival' ? 'overdue-arrival' : 'overdue-decision';
    const issued = this.receipts.issue(
      {
        outcome: 'overdue',
        packageKind: 'edoc',
        to: copy.sender,
        busId: copy.packageId,
        documentId: copy.documentId,
        recipients: recipients.map((r) => ({ addressedTo: r, outcome })),
      },
      { packageId: copy.packageId, quarantineId: null, channel: channelOf(copy.sender) },
    );
    const dueAt = new Map(group.map((c) => [c.recipient, c.dueAt]));
    return {
      receipt: issued.receipt,
      outbox: [{ ...issued.outbox, lane: isUrgent(copy.priority) ? 'urgent' : 'normal' }],
      traceEvents: recipients.map((recipient) => ({
        packageId: copy.packageId,
        recipient,
        event: 'overdue',
        source: 'bus',
        at: now,
        detail: { deadline: copy.kind, dueAt: dueAt.get(recipient)?.toISOString() },
      })),
    };
  }
}

function groupByDocument(copies: OverdueCopy[]): OverdueCopy[][] {
  const groups = new Map<string, OverdueCopy[]>();
  for (const c of copies) {
    const key = `${c.packageId}:${c.kind}`;
    const group = groups.get(key);
    if (group) group.push(c);
    else groups.set(key, [c]);
  }
  return [...groups.values()];
}
