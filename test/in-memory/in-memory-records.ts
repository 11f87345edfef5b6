import type {
  Notices,
  OutboxRecord,
  ReceiptRecord,
  StoredOutbox,
  TraceEventRecord,
  TransportName,
} from '../../src/modules/delivery/delivery-records';
import {
  awaitsArrival,
  awaitsDecision,
  describeCopy,
  type CopyStatus,
  type Transition,
} from '../../src/modules/delivery/domain/delivery-lifecycle';
import type { DocumentTrace } from '../../src/modules/delivery/domain/document-trace';
import {
  DeliveryRepository,
  type DeliveredNotice,
  type EndpointBacklog,
  type OverdueCopy,
  type OverdueKind,
  type SentDocument,
} from '../../src/modules/delivery/delivery-repository.port';
import {
  SubmissionRepository,
  type AcceptedDocumentRecord,
  type AcceptedStatusRecord,
  type DocumentStoreResult,
  type ExistingPackage,
  type QuarantineRecord,
  type StatusTarget,
  type StoreResult,
} from '../../src/modules/routing/submission-repository.port';
import { isSpooled } from '../../src/modules/shared/package-body';

export interface PackageRow {
  busId: string;
  kind: 'edoc' | 'status';
  sender: string;
  documentId: string;
  businessDocType: number;
  statusCode: string | null;
  relatedPackageId: string | null;
  subject: string | null;
  priority: number;
  sha256: string;
  transport: TransportName;
  transportMessageId: string | null;
  acceptedAt: Date;
  body: Uint8Array | null;
}

export interface CopyRow extends CopyStatus {
  packageId: string;
  recipient: string;
  addressedTo: string;
  stateAt: Date;
  lastStatusCode: string | null;
  deliveredAt: Date | null;
  changeKind: string | null;
  changePackageId: string | null;
  arrivalDueAt: Date;
  decisionDueAt: Date;
  priority: number;
  overdue: OverdueKind | null;
}

/**
 * The bus's records held in Maps, with the guarantees the PostgreSQL repositories give them in
 * one transaction each: idempotency keys, a copy read and moved as one step, notices decided from
 * what the write found. The ports below (SubmissionRepository, DeliveryRepository) share it, as
 * the real ones share the database; tests read it to see what a use case left behind.
 */
export interface PullItemRow {
  record: OutboxRecord;
  state: 'pending' | 'withdrawn';
}

export class InMemoryRecords {
  readonly packages = new Map<string, PackageRow>();
  readonly copies = new Map<string, CopyRow>();
  readonly trace: TraceEventRecord[] = [];
  readonly receipts: ReceiptRecord[] = [];
  /** The broker channel's messages, waiting to be published. */
  readonly outbox: StoredOutbox[] = [];
  /** The pull channel's messages: items of the polling endpoints' inboxes. */
  readonly pullInbox: PullItemRow[] = [];
  readonly quarantine: QuarantineRecord[] = [];
  /** Idempotency keys: a document by (sender, DocumentId, business type), a status by (sender, digest). */
  private readonly keys = new Map<string, string>();
  private outboxSeq = 0;

  copy(packageId: string, recipient: string): CopyRow | undefined {
    return this.copies.get(copyKey(packageId, recipient));
  }

  /** Messages of this kind (all when none is given): the outbox's in the order they were written, then the pull inboxes'. */
  messages(type?: OutboxRecord['messageType']): OutboxRecord[] {
    return [...this.outbox.map((o) => o.record), ...this.pullInbox.map((i) => i.record)].filter(
      (r) => !type || r.messageType === type,
    );
  }

  claimKey(key: string, busId: string): string | null {
    const existing = this.keys.get(key);
    if (existing) return existing;
    this.keys.set(key, busId);
    return null;
  }

  /** Broker mail becomes outbox rows (returned, for the fast path); pull mail goes into the pull inboxes. */
  insertOutbox(records: OutboxRecord[]): StoredOutbox[] {
    for (const record of records.filter((r) => r.channel === 'pull')) {
      if (record.messageType === 'withdrawal') {
        for (const item of this.pullInbox) {
          const r = item.record;
          if (r.destination === record.destination && r.messageType === 'edoc' && item.state === 'pending')
            if (r.packageId === record.headers['x-edoc-bus-id']) item.state = 'withdrawn';
        }
      } else if (
        !this.pullInbox.some(
          (i) => i.record.destination === record.destination && i.record.messageId === record.messageId,
        )
      ) {
        this.pullInbox.push({ record, state: 'pending' });
      }
    }
    const stored = records
      .filter((r) => r.channel === 'broker')
      .map((record) => ({ id: String(++this.outboxSeq), record }));
    this.outbox.push(...stored);
    return stored;
  }

  insertNotices(notices: Notices): StoredOutbox[] {
    if (notices.receipt) this.receipts.push(notices.receipt);
    this.trace.push(...notices.traceEvents);
    return this.insertOutbox(notices.outbox);
  }

  /** Moves a copy as the transition says, with the trace event the repositories complete. */
  moveCopy(copy: CopyRow, t: Transition, event: TraceEventRecord, at: Date, statusCode?: string): void {
    const before: CopyStatus = { state: copy.state, changeState: copy.changeState };
    const changed = t.state !== before.state || t.changeState !== before.changeState;
    copy.state = t.state;
    copy.changeState = t.changeState;
    if (changed) copy.stateAt = at;
    if (t.state !== 'queued') copy.deliveredAt ??= at;
    if (statusCode) copy.lastStatusCode = statusCode;
    this.trace.push({
      ...event,
      stateBefore: describeCopy(before),
      stateAfter: describeCopy(t),
      flag: t.flag,
    });
  }

  existing(busId: string): ExistingPackage {
    const p = this.packages.get(busId)!;
    return {
      busId,
      sha256: p.sha256,
      transportMessageId: p.transportMessageId,
      transport: p.transport,
      archivedIn: null,
    };
  }
}

export class InMemorySubmissionRepository extends SubmissionRepository {
  constructor(readonly records: InMemoryRecords) {
    super();
  }

  async storeAcceptedDocument(r: AcceptedDocumentRecord): Promise<DocumentStoreResult> {
    const rec = this.records;
    const taken = rec.claimKey(`edoc|${r.sender}|${r.documentId}|${r.businessDocType}`, r.busId);
    if (taken) return { stored: false, existing: rec.existing(taken) };
    rec.packages.set(r.busId, {
      busId: r.busId,
      kind: 'edoc',
      sender: r.sender,
      documentId: r.documentId,
      businessDocType: r.businessDocType,
      statusCode: null,
      relatedPackageId: r.relatedPackageId,
      subject: r.subject,
      priority: r.priority ?? 0,
      sha256: r.sha256,
      transport: r.transport,
      transportMessageId: r.transportMessageId,
      acceptedAt: r.acceptedAt,
      body: isSpooled(r.body) ? null : r.body,
    });
    for (const d of r.deliveries) {
      rec.copies.set(copyKey(r.busId, d.recipient), {
        packageId: r.busId,
        recipient: d.recipient,
        addressedTo: d.addressedTo,
        state: 'queued',
        changeState: null,
        stateAt: r.acceptedAt,
        lastStatusCode: null,
        deliveredAt: null,
        changeKind: null,
        changePackageId: null,
        arrivalDueAt: d.arrivalDueAt,
        decisionDueAt: d.decisionDueAt,
        priority: r.priority ?? 0,
        overdue: null,
      });
    }
    rec.trace.push(...r.traceEvents);
    rec.receipts.push(r.receipt);
    let outbox = rec.insertOutbox(r.outbox);
    if (!r.change) return { stored: true, outbox };

    const change = r.change;
    const withdrawn: string[] = [];
    for (const recipient of [...change.recipients].sort()) {
      const copy = rec.copy(change.originalPackageId, recipient);
      if (!copy) continue;
      copy.changeState = change.transition({ state: copy.state, changeState: copy.changeState }).changeState;
      copy.changeKind = change.kind;
      copy.changePackageId = r.busId;
      if (copy.changeState === 'withdrawn') withdrawn.push(recipient);
    }
    if (withdrawn.length === 0) return { stored: true, outbox, withdrawn };
    // A recipient whose copy was withdrawn unseen has nothing to answer: the recall is not sent to it.
    const dropped = outbox.filter(
      (o) => o.record.packageId === r.busId && withdrawn.includes(o.record.destination),
    );
    for (const o of dropped) rec.outbox.splice(rec.outbox.indexOf(o), 1);
    const droppedItems = rec.pullInbox.filter(
      (i) => i.record.packageId === r.busId && withdrawn.includes(i.record.destination),
    );
    for (const i of droppedItems) rec.pullInbox.splice(rec.pullInbox.indexOf(i), 1);
    for (const recipient of withdrawn) rec.copies.delete(copyKey(r.busId, recipient));
    outbox = outbox.filter((o) => !dropped.includes(o));
    return {
      stored: true,
      outbox: [...outbox, ...rec.insertNotices(change.onWithdrawn(withdrawn))],
      withdrawn,
    };
  }

  async storeAcceptedStatus(r: AcceptedStatusRecord): Promise<StoreResult> {
    const rec = this.records;
    const copy = rec.copy(r.delivery.packageId, r.delivery.recipient);
    if (!copy) return { stored: false, existing: null };
    const taken = rec.claimKey(`status|${r.sender}|${r.sha256}`, r.busId);
    if (taken) return { stored: false, existing: rec.existing(taken) };
    rec.packages.set(r.busId, {
      busId: r.busId,
      kind: 'status',
      sender: r.sender,
      documentId: r.documentId,
      businessDocType: 0,
      statusCode: r.statusCode,
      relatedPackageId: r.relatedPackageId,
      subject: null,
      priority: 0,
      sha256: r.sha256,
      transport: r.transport,
      transportMessageId: r.transportMessageId,
      acceptedAt: r.acceptedAt,
      body: isSpooled(r.body) ? null : r.body,
    });
    const beforeChange = copy.changeState;
    const t = r.transition({ state: copy.state, changeState: copy.changeState });
    rec.moveCopy(copy, t, r.traceEvent, r.acceptedAt, r.statusCode);
    rec.receipts.push(r.receipt);
    const outbox = rec.insertOutbox(r.outbox);
    if (t.changeState === 'withdrawn' && beforeChange !== 'withdrawn' && r.onWithdrawn)
      outbox.push(...rec.insertNotices(r.onWithdrawn()));
    return { stored: true, outbox, transition: t };
  }

  async storeReceipt(receipt: ReceiptRecord, outbox: OutboxRecord[], trace: TraceEventRecord[]) {
    return this.records.insertNotices({ receipt, outbox, traceEvents: trace });
  }

  async storeRejection(quarantine: QuarantineRecord, receipt: ReceiptRecord | null, outbox: OutboxRecord[]) {
    this.records.quarantine.push(quarantine);
    return this.records.insertNotices({ receipt, outbox, traceEvents: [] });
  }

  async findOriginal(sender: string, documentId: string): Promise<StatusTarget | null> {
    return (await this.findStatusTargets(sender, documentId)).find((t) => t.businessDocType === 0) ?? null;
  }

  async findStatusTargets(documentSender: string, documentId: string): Promise<StatusTarget[]> {
    return [...this.records.packages.values()]
      .filter((p) => p.kind === 'edoc' && p.sender === documentSender && p.documentId === documentId)
      .sort((a, b) => (a.busId < b.busId ? 1 : -1))
      .map((p) => ({
        busId: p.busId,
        documentSender: p.sender,
        businessDocType: p.businessDocType,
        recipients: [...this.records.copies.values()]
          .filter((c) => c.packageId === p.busId)
          .map((c) => c.recipient),
        relatedPackageId: p.relatedPackageId,
      }));
  }

  async findByTransportMessage(sender: string, transportMessageId: string) {
    for (const p of this.records.packages.values())
      if (p.sender === sender && p.transportMessageId === transportMessageId)
        return { kind: 'package' as const, busId: p.busId };
    for (const q of this.records.quarantine)
      if (q.authenticatedSender === sender && q.transportMessageId === transportMessageId)
        return { kind: 'quarantine' as const, id: q.id };
    return null;
  }

  async readPackageBody(packageId: string): Promise<Uint8Array> {
    const body = this.records.packages.get(packageId)?.body;
    if (!body) throw new Error(`package ${packageId} has no stored content`);
    return body;
  }
}

export class InMemoryDeliveryRepository extends DeliveryRepository {
  constructor(readonly records: InMemoryRecords) {
    super();
  }

  async recordDelivered(notice: DeliveredNotice): Promise<Transition | null> {
    const copy = this.records.copy(notice.packageId, notice.recipient);
    if (!copy) return null;
    const t = notice.transition({ state: copy.state, changeState: copy.changeState });
    this.records.moveCopy(copy, t, notice.traceEvent, notice.traceEvent.at);
    return t;
  }

  async findOverdue(now: Date, limit: number): Promise<OverdueCopy[]> {
    const found: OverdueCopy[] = [];
    for (const c of this.records.copies.values()) {
      const kind = overdueKind(c, now);
      if (!kind) continue;
      const p = this.records.packages.get(c.packageId)!;
      found.push({
        packageId: c.packageId,
        sender: p.sender,
        documentId: p.documentId,
        recipient: c.recipient,
        priority: c.priority,
        kind,
        dueAt: kind === 'arrival' ? c.arrivalDueAt : c.decisionDueAt,
      });
    }
    return found.sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime()).slice(0, limit);
  }

  async markOverdue(
    group: { packageId: string; kind: OverdueKind; recipients: string[]; at: Date },
    notices: (marked: string[]) => Notices,
  ) {
    const marked: string[] = [];
    for (const recipient of group.recipients) {
      const c = this.records.copy(group.packageId, recipient);
      if (!c || c.changeState === 'withdrawn') continue;
      const due =
        group.kind === 'arrival'
          ? awaitsArrival(c.state) && c.overdue === null && c.arrivalDueAt <= group.at
          : awaitsDecision(c.state) && c.overdue !== 'decision' && c.decisionDueAt <= group.at;
      if (!due) continue;
      c.overdue = group.kind;
      marked.push(recipient);
    }
    marked.sort();
    if (marked.length === 0) return { marked, outbox: [] };
    return { marked, outbox: this.records.insertNotices(notices(marked)) };
  }

  async documentTrace(
    sender: string,
    ref: { busId?: string; documentId?: string },
  ): Promise<DocumentTrace | null> {
    const p = [...this.records.packages.values()].find(
      (x) =>
        x.kind === 'edoc' &&
        x.sender === sender &&
        (ref.busId ? x.busId === ref.busId : x.documentId === ref.documentId && x.businessDocType === 0),
    );
    if (!p) return null;
    const steps = (recipient: string | null) =>
      this.records.trace
        .filter((e) => e.packageId === p.busId && e.recipient === recipient)
        .map((e) => ({
          at: e.at,
          event: e.event,
          statusCode: e.statusCode ?? null,
          source: e.source,
          stateBefore: e.stateBefore ?? null,
          stateAfter: e.stateAfter ?? null,
          flag: e.flag ?? null,
          sourcePackageId: e.sourcePackageId ?? null,
        }));
    return {
      busId: p.busId,
      documentId: p.documentId,
      sender: p.sender,
      businessDocType: p.businessDocType,
      subject: p.subject,
      priority: p.priority,
      acceptedAt: p.acceptedAt,
      relatedPackageId: p.relatedPackageId,
      changes: [...this.records.packages.values()]
        .filter((x) => x.kind === 'edoc' && x.relatedPackageId === p.busId)
        .map((x) => ({ busId: x.busId, businessDocType: x.businessDocType, acceptedAt: x.acceptedAt })),
      events: steps(null),
      copies: [...this.records.copies.values()]
        .filter((c) => c.packageId === p.busId)
        .map((c) => ({
          recipient: c.recipient,
          addressedTo: c.addressedTo,
          state: c.state,
          stateAt: c.stateAt,
          lastStatusCode: c.lastStatusCode,
          deliveredAt: c.deliveredAt,
          change:
            c.changeKind && c.changeState
              ? { kind: c.changeKind, state: c.changeState, packageId: c.changePackageId }
              : null,
          arrivalDueAt: c.arrivalDueAt,
          decisionDueAt: c.decisionDueAt,
          overdue: c.overdue,
          history: steps(c.recipient),
        })),
    };
  }

  async sentDocuments(
    sender: string,
    page: { before: string | null; limit: number },
  ): Promise<SentDocument[]> {
    return [...this.records.packages.values()]
      .filter((p) => p.kind === 'edoc' && p.sender === sender && (!page.before || p.busId < page.before))
      .sort((a, b) => (a.busId < b.busId ? 1 : -1))
      .slice(0, page.limit)
      .map((p) => ({
        busId: p.busId,
        documentId: p.documentId,
        subject: p.subject,
        notation: null,
        acceptedAt: p.acceptedAt,
        copies: [...this.records.copies.values()]
          .filter((c) => c.packageId === p.busId)
          .map((c) => ({
            recipient: c.recipient,
            state: c.state,
            stateAt: c.stateAt,
            deliveredAt: c.deliveredAt,
            lastStatusCode: c.lastStatusCode,
          })),
      }));
  }

  async backlog(): Promise<EndpointBacklog[]> {
    const now = Date.now();
    const by = new Map<string, EndpointBacklog>();
    for (const c of this.records.copies.values()) {
      if (c.state !== 'queued' || c.changeState === 'withdrawn') continue;
      const b = by.get(c.recipient) ?? {
        endpoint: c.recipient,
        waitingCopies: 0,
        oldestWaitingSeconds: 0,
        overdueCopies: 0,
      };
      b.waitingCopies++;
      b.oldestWaitingSeconds = Math.max(b.oldestWaitingSeconds, (now - c.stateAt.getTime()) / 1000);
      if (c.overdue) b.overdueCopies++;
      by.set(c.recipient, b);
    }
    return [...by.values()];
  }
}

/** The deadline a copy has passed and not yet been flagged for: as PgDeliveryRepository's findOverdue. */
function overdueKind(c: CopyRow, now: Date): OverdueKind | null {
  if (c.changeState === 'withdrawn') return null;
  if (awaitsDecision(c.state) && c.decisionDueAt <= now && c.overdue !== 'decision') return 'decision';
  if (awaitsArrival(c.state) && c.arrivalDueAt <= now && c.overdue === null && c.decisionDueAt > now)
    return 'arrival';
  return null;
}

function copyKey(packageId: string, recipient: string): string {
  return `${packageId}|${recipient}`;
}
