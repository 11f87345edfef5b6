import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  DeliveryRepository,
  type DeliveredNotice,
  type EndpointBacklog,
  type OverdueCopy,
  type OverdueKind,
  type SentDocument,
} from '../../modules/delivery/delivery-repository.port';
import type { CopyStatus, Transition } from '../../modules/delivery/domain/delivery-lifecycle';
import type { CopyTrace, DocumentTrace, TraceStep } from '../../modules/delivery/domain/document-trace';
import type { Notices, StoredOutbox } from '../../modules/delivery/delivery-records';
import { DeliveredNoticeBatch } from './delivered-notice-batch';
import { Sql } from './sql';
import { OUTBOX_LEASE_SECONDS } from './tokens';
import { describeCopy } from '../../modules/delivery/domain/delivery-lifecycle';
import { insertNotices, Params, traceCte } from './write-fragments';

/** States in which a copy still owes its sender an answer (01, then 03/02). */
const AWAITING_ARRIVAL = `('queued', 'delivered')`;
const AWAITING_DECISION = `('queued', 'delivered', 'arrived')`;

interface DeliveryRow {
  recipient: string;
  addressed_to: string;
  state: CopyTrace['state'];
  state_at: Date;
  last_status_code: string | null;
  delivered_at: Date | null;
  change_kind: string | null;
  change_state: CopyStatus['changeState'];
  change_package_id: string | null;
  arrival_due_at: Date | null;
  decision_due_at: Date | null;
  overdue: 'arrival' | 'decision' | null;
}

interface TraceRow {
  recipient: string | null;
  event: string;
  status_code: string | null;
  source: string;
  source_package_id: string | null;
  state_before: string | null;
  state_after: string | null;
  flag: string | null;
  at: Date;
}

@Injectable()
export class PgDeliveryRepository extends DeliveryRepository {
  private readonly sql: Sql;
  private readonly notices: DeliveredNoticeBatch;

  constructor(
    private readonly db: DataSource,
    @Inject(OUTBOX_LEASE_SECONDS) private readonly leaseSeconds: number,
  ) {
    super();
    this.sql = new Sql(db);
    this.notices = new DeliveredNoticeBatch(this.sql);
  }

  /**
   * Compare-and-set instead of a locking transaction: the transition is applied only if the copy
   * is still in the state it was computed from, else the state is read again and the rule asked
   * again. Nearly every notice finds its copy `queued`, so that guess goes first, and with the
   * other notices of the same moment in one statement (DeliveredNoticeBatch) — a notice follows
   * every copy, about three per document; one locking transaction each was a third of the bus's
   * writes.
   */
  async recordDelivered(n: DeliveredNotice): Promise<Transition | null> {
    const fromQueued = n.transition({ state: 'queued', changeState: null });
    const movesQueued = fromQueued.state !== 'queued' || fromQueued.changeState !== null || !!fromQueued.flag;
    if (movesQueued && (await this.notices.fromQueued(n, fromQueued))) return fromQueued;
    // Not queued after all (or the batch failed): read the state and apply the rule one by one.
    let before = await this.copyStatus(n);
    if (!before) return null;
    for (let attempt = 0; attempt < 10; attempt++) {
      const t = n.transition(before);
      // A repeated notice is not a step: nothing to record unless it moved the copy or raised a flag.
      if (t.state === before.state && t.changeState === before.changeState && !t.flag) return t;
      const p = new Params();
      const at = p.add(n.traceEvent.at);
      const row = await this.sql.one<{ updated: number }>(
        `WITH p AS (
           UPDATE delivery
              SET state = ${p.add(t.state)}, change_state = ${p.add(t.changeState)},
                  state_at = ${at}::timestamptz, delivered_at = coalesce(delivered_at, ${at}::timestamptz)
            WHERE package_id = ${p.add(n.packageId)} AND recipient = ${p.add(n.recipient)}
              AND state = ${p.add(before.state)} AND change_state IS NOT DISTINCT FROM ${p.add(before.changeState)}::text
            RETURNING 1
         ), ${traceCte(p, [{ ...n.traceEvent, stateBefore: describeCopy(before), stateAfter: describeCopy(t), flag: t.flag }])}
         SELECT count(*)::int AS updated FROM p`,
        p.values,
      );
      if (row?.updated === 1) return t;
      before = await this.copyStatus(n);
      if (!before) return null;
    }
    throw new Error(`the state of ${n.packageId} for ${n.recipient} kept changing under a delivered notice`);
  }

  private async copyStatus(n: DeliveredNotice): Promise<CopyStatus | null> {
    const row = await this.sql.one<{ state: CopyStatus['state']; change_state: CopyStatus['changeState'] }>(
      `SELECT state, change_state FROM delivery WHERE package_id = $1 AND recipient = $2`,
      [n.packageId, n.recipient],
    );
    return row ? { state: row.state, changeState: row.change_state } : null;
  }

  async findOverdue(now: Date, limit: number): Promise<OverdueCopy[]> {
    // Two branches so each uses its partial index; a copy past both deadlines is reported once, as decision.
    const rows = await this.sql.rows<{
      package_id: string;
      sender: string;
      document_id: string;
      recipient: string;
      priority: number;
      kind: OverdueKind;
      due_at: Date;
    }>(
      `(SELECT d.package_id, p.sender, p.document_id, d.recipient, d.priority, 'decision' AS kind, d.decision_due_at AS due_at
          FROM delivery d JOIN package p ON p.id = d.package_id
         WHERE d.state IN ${AWAITING_DECISION} AND d.decision_due_at <= $1 AND d.overdue IS DISTINCT FROM 'decision'
           AND d.change_state IS DISTINCT FROM 'withdrawn'
         ORDER BY d.decision_due_at LIMIT $2)
       UNION ALL
       (SELECT d.package_id, p.sender, p.document_id, d.recipient, d.priority, 'arrival', d.arrival_due_at
          FROM delivery d JOIN package p ON p.id = d.package_id
         WHERE d.state IN ${AWAITING_ARRIVAL} AND d.arrival_due_at <= $1 AND d.overdue IS NULL
           AND d.decision_due_at > $1 AND d.change_state IS DISTINCT FROM 'withdrawn'
         ORDER BY d.arrival_due_at LIMIT $2)`,
      [now, limit],
    );
    return rows.map((r) => ({
      packageId: r.package_id,
      sender: r.sender,
      documentId: r.document_id,
      recipient: r.recipient,
      priority: r.priority,
      kind: r.kind,
      dueAt: r.due_at,
    }));
  }

  async markOverdue(
    group: { packageId: string; kind: OverdueKind; recipients: string[]; at: Date },
    notices: (marked: string[]) => Notices,
  ): Promise<{ marked: string[]; outbox: StoredOutbox[] }> {
    return this.db.transaction(async (m) => {
      const sql = new Sql(m);
      const guard =
        group.kind === 'arrival'
          ? `state IN ${AWAITING_ARRIVAL} AND overdue IS NULL AND arrival_due_at <= $4`
          : `state IN ${AWAITING_DECISION} AND overdue IS DISTINCT FROM 'decision' AND decision_due_at <= $4`;
      const rows = await sql.rows<{ recipient: string }>(
        `UPDATE delivery SET overdue = $3, overdue_notified_at = $4
          WHERE package_id = $1 AND recipient = ANY($2::text[]) AND change_state IS DISTINCT FROM 'withdrawn' AND ${guard}
          RETURNING recipient`,
        [group.packageId, group.recipients, group.kind, group.at],
      );
      const marked = rows.map((r) => r.recipient).sort();
      if (marked.length === 0) return { marked, outbox: [] };
      return { marked, outbox: await insertNotices(sql, this.leaseSeconds, notices(marked)) };
    });
  }

  async sentDocuments(
    sender: string,
    page: { before: string | null; limit: number },
  ): Promise<SentDocument[]> {
    const docs = await this.sql.rows<{
      id: string;
      document_id: string;
      subject: string | null;
      code_number: string | null;
      code_notation: string | null;
      accepted_at: Date;
    }>(
      `SELECT id, document_id, subject, code_number, code_notation, accepted_at FROM package
        WHERE kind = 'edoc' AND sender = $1 AND ($2::uuid IS NULL OR id < $2::uuid)
        ORDER BY id DESC LIMIT $3`,
      [sender, page.before, page.limit],
    );
    if (docs.length === 0) return [];
    const copies = await this.sql.rows<{
      package_id: string;
      recipient: string;
      state: string;
      state_at: Date;
      delivered_at: Date | null;
      last_status_code: string | null;
    }>(
      `SELECT package_id, recipient, state, state_at, delivered_at, last_status_code FROM delivery
        WHERE package_id = ANY($1::uuid[]) ORDER BY recipient`,
      [docs.map((d) => d.id)],
    );
    return docs.map((d) => ({
      busId: d.id,
      documentId: d.document_id,
      subject: d.subject,
      notation: d.code_number || d.code_notation ? `${d.code_number ?? ''}/${d.code_notation ?? ''}` : null,
      acceptedAt: d.accepted_at,
      copies: copies
        .filter((c) => c.package_id === d.id)
        .map((c) => ({
          recipient: c.recipient,
          state: c.state,
          stateAt: c.state_at,
          deliveredAt: c.delivered_at,
          lastStatusCode: c.last_status_code,
        })),
    }));
  }

  async documentTrace(
    sender: string,
    ref: { busId?: string; documentId?: string },
  ): Promise<DocumentTrace | null> {
    const columns = `p.id, p.document_id, p.sender, p.business_doc_type, p.subject, p.priority, p.accepted_at, p.related_package_id`;
    const doc = ref.busId
      ? await this.sql.one<DocumentRow>(
          `SELECT ${columns} FROM package p WHERE p.kind = 'edoc' AND p.sender = $1 AND p.id = $2`,
          [sender, ref.busId],
        )
      : await this.sql.one<DocumentRow>(
          // Through the register (one index, all months), then the package's own month.
          `SELECT ${columns} FROM package_register r JOIN package p ON p.id = r.package_id
            WHERE r.kind = 'edoc' AND r.sender = $1 AND r.document_id = $2 AND r.business_doc_type = 0`,
          [sender, ref.documentId],
        );
    if (!doc) return null;
    const [copies, events, changes] = await Promise.all([
      this.sql.rows<DeliveryRow>(
        `SELECT recipient, addressed_to, state, state_at, last_status_code, delivered_at, change_kind, change_state,
                change_package_id, arrival_due_at, decision_due_at, overdue
           FROM delivery WHERE package_id = $1 ORDER BY recipient`,
        [doc.id],
      ),
      this.sql.rows<TraceRow>(
        `SELECT recipient, event, status_code, source, source_package_id, state_before, state_after, flag, at
           FROM trace_event WHERE package_id = $1 ORDER BY id`,
        [doc.id],
      ),
      this.sql.rows<{ id: string; business_doc_type: number; accepted_at: Date }>(
        // The register names each change's original: one index, whatever month the change came in
        // (its UUIDv7 id gives the moment it was accepted).
        `SELECT package_id AS id, business_doc_type, edoc_uuid7_time(package_id) AS accepted_at
           FROM package_register WHERE related_package_id = $1 AND kind = 'edoc' ORDER BY package_id`,
        [doc.id],
      ),
    ]);
    const history = new Map<string, TraceStep[]>();
    const documentEvents: TraceStep[] = [];
    for (const e of events) {
      const step = toStep(e);
      if (e.recipient === null) documentEvents.push(step);
      else history.set(e.recipient, [...(history.get(e.recipient) ?? []), step]);
    }
    return {
      busId: doc.id,
      documentId: doc.document_id,
      sender: doc.sender,
      businessDocType: doc.business_doc_type ?? 0,
      subject: doc.subject,
      priority: doc.priority ?? 0,
      acceptedAt: doc.accepted_at,
      relatedPackageId: doc.related_package_id,
      changes: changes.map((c) => ({
        busId: c.id,
        businessDocType: c.business_doc_type,
        acceptedAt: c.accepted_at,
      })),
      events: documentEvents,
      copies: copies.map((c) => ({
        recipient: c.recipient,
        addressedTo: c.addressed_to,
        state: c.state,
        stateAt: c.state_at,
        lastStatusCode: c.last_status_code,
        deliveredAt: c.delivered_at,
        change:
          c.change_kind && c.change_state
            ? { kind: c.change_kind, state: c.change_state, packageId: c.change_package_id }
            : null,
        arrivalDueAt: c.arrival_due_at,
        decisionDueAt: c.decision_due_at,
        overdue: c.overdue,
        history: history.get(c.recipient) ?? [],
      })),
    };
  }

  async backlog(): Promise<EndpointBacklog[]> {
    const rows = await this.sql.rows<{ endpoint: string; waiting: number; oldest: number; overdue: number }>(
      `SELECT recipient AS endpoint,
              count(*) FILTER (WHERE state = 'queued' AND change_state IS DISTINCT FROM 'withdrawn')::int AS waiting,
              coalesce(extract(epoch FROM now() - min(created_at) FILTER (WHERE state = 'queued' AND change_state IS DISTINCT FROM 'withdrawn')), 0)::float AS oldest,
              count(*) FILTER (WHERE overdue IS NOT NULL)::int AS overdue
         FROM delivery
        WHERE state IN ${AWAITING_DECISION}
        GROUP BY recipient`,
    );
    return rows.map((r) => ({
      endpoint: r.endpoint,
      waitingCopies: r.waiting,
      oldestWaitingSeconds: r.oldest,
      overdueCopies: r.overdue,
    }));
  }
}

interface DocumentRow {
  id: string;
  document_id: string;
  sender: string;
  business_doc_type: number | null;
  subject: string | null;
  priority: number | null;
  accepted_at: Date;
  related_package_id: string | null;
}

function toStep(e: TraceRow): TraceStep {
  return {
    at: e.at,
    event: e.event,
    statusCode: e.status_code,
    source: e.source,
    stateBefore: e.state_before,
    stateAfter: e.state_after,
    flag: e.flag,
    sourcePackageId: e.source_package_id,
  };
}
