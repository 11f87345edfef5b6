import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import {
  describeCopy,
  type ChangeState,
  type CopyState,
  type CopyStatus,
} from '../../modules/delivery/domain/delivery-lifecycle';
import { bufferView } from '../../modules/shared/bytes';
import {
  SubmissionRepository,
  type AcceptedDocumentRecord,
  type AcceptedStatusRecord,
  type DocumentStoreResult,
  type ExistingPackage,
  type QuarantineRecord,
  type StatusTarget,
  type StoreResult,
} from '../../modules/routing/submission-repository.port';
import {
  type OutboxRecord,
  type ReceiptRecord,
  type StoredOutbox,
  type TraceEventRecord,
  type TransportName,
} from '../../modules/delivery/delivery-records';
import { bodyBytes } from '../spool/file-ranges';
import { copyPackageContent, isCopied, readPackageContent } from './copy-package-content';
import { Sql } from './sql';
import {
  insertNotices,
  matchOutbox,
  mailCtes,
  Params,
  receiptCte,
  RESULT,
  traceCte,
  type InsertedOutbox,
} from './write-fragments';
import { OUTBOX_LEASE_SECONDS } from './tokens';

/**
 * The submission's writes. Accepting a new document is ONE statement: data-modifying CTEs insert
 * the package, its content, the deliveries, the trace, the receipt and the outbox rows, each gated
 * on the insert into package_register (ON CONFLICT DO NOTHING on the idempotency key, which a
 * table partitioned by month cannot hold) — one round trip and one
 * commit per package. Statuses (which must read the copy's state under a lock) and change requests
 * (whose notices depend on what they find) run in a short transaction around the same statement.
 * Multi-row parts use `unnest`, so a broadcast to 95 endpoints has a fixed number of parameters.
 */
@Injectable()
export class PgSubmissionRepository extends SubmissionRepository {
  private readonly sql: Sql;

  constructor(
    private readonly db: DataSource,
    @Inject(OUTBOX_LEASE_SECONDS) private readonly leaseSeconds: number,
  ) {
    super();
    this.sql = new Sql(db);
  }

  async storeAcceptedDocument(r: AcceptedDocumentRecord): Promise<DocumentStoreResult> {
    const large = isCopied(r.body);
    if (!r.change && !large) return this.insertDocument(this.sql, r);
    return this.db.transaction(async (m) => {
      const sql = new Sql(m);
      const stored = await this.insertDocument(sql, r, large ? m : undefined);
      if (!stored.stored || !r.change) return stored;
      const change = r.change;
      // The copies are read under a lock and their new change state decided by the domain
      // (requestChange: a recall withdraws a copy still in its inbox), then written as decided.
      const copies = await sql.rows<{
        recipient: string;
        state: CopyState;
        change_state: ChangeState | null;
      }>(
        `SELECT recipient, state, change_state FROM delivery
          WHERE package_id = $1 AND recipient = ANY($2::text[]) ORDER BY recipient FOR UPDATE`,
        [change.originalPackageId, change.recipients],
      );
      const touched = copies.map((c) => ({
        recipient: c.recipient,
        change_state: change.transition({ state: c.state, changeState: c.change_state }).changeState,
      }));
      await sql.rows(
        `UPDATE delivery d SET change_kind = $3, change_package_id = $4, change_state = t.change_state
           FROM unnest($2::text[], $5::text[]) AS t(recipient, change_state)
          WHERE d.package_id = $1 AND d.recipient = t.recipient`,
        [
          change.originalPackageId,
          touched.map((t) => t.recipient),
          change.kind,
          r.busId,
          touched.map((t) => t.change_state),
        ],
      );
      const withdrawn = touched.filter((t) => t.change_state === 'withdrawn').map((t) => t.recipient);
      if (withdrawn.length === 0) return { ...stored, withdrawn };
      // A recipient whose copy was withdrawn unseen has nothing to answer: the recall is not sent to it.
      const dropped = stored.outbox.filter(
        (o) => o.record.packageId === r.busId && withdrawn.includes(o.record.destination),
      );
      await sql.rows(`DELETE FROM outbox WHERE id = ANY($1::bigint[])`, [dropped.map((o) => o.id)]);
      await sql.rows(
        `DELETE FROM pull_item WHERE package_id = $1 AND endpoint = ANY($2::text[]) AND message_type = 'edoc'`,
        [r.busId, withdrawn],
      );
      await sql.rows(`DELETE FROM delivery WHERE package_id = $1 AND recipient = ANY($2::text[])`, [
        r.busId,
        withdrawn,
      ]);
      const extra = await insertNotices(sql, this.leaseSeconds, change.onWithdrawn(withdrawn));
      const kept = stored.outbox.filter((o) => !dropped.includes(o));
      return { stored: true, outbox: [...kept, ...extra], withdrawn };
    });
  }

  async storeAcceptedStatus(r: AcceptedStatusRecord): Promise<StoreResult> {
    // A status package is a few KB; one spooled (a hostile size that still passed) is read whole.
    const body = await bodyBytes(r.body);
    return this.db.transaction(async (m) => {
      const sql = new Sql(m);
      const current = await sql.one<{ state: CopyStatus['state']; change_state: CopyStatus['changeState'] }>(
        `SELECT state, change_state FROM delivery WHERE package_id = $1 AND recipient = $2 FOR UPDATE`,
        [r.delivery.packageId, r.delivery.recipient],
      );
      if (!current) return { stored: false, existing: null };
      const before: CopyStatus = { state: current.state, changeState: current.change_state };
      const t = r.transition(before);
      const p = new Params();
      const id = p.add(r.busId);
      const sender = p.add(r.sender);
      const code = p.add(r.statusCode);
      const acceptedAt = p.add(r.acceptedAt);
      const documentId = p.add(r.documentId);
      const sha256 = p.add(r.sha256);
      const changed = t.state !== before.state || t.changeState !== before.changeState;
      const trace: TraceEventRecord = {
        ...r.traceEvent,
        stateBefore: describeCopy(before),
        stateAfter: describeCopy(t),
        flag: t.flag,
      };
      const result = await sql.one<{ inserted: number; outbox: InsertedOutbox[] }>(
        `WITH registered AS (
           INSERT INTO package_register (package_id, kind, sender, document_id, sha256)
           VALUES (${id}::uuid, 'status', ${sender}::text, ${documentId}::text, decode(${sha256}::text, 'hex'))
           ON CONFLICT (sender, sha256) WHERE kind = 'status' DO NOTHING
           RETURNING package_id
         ), p AS (
           INSERT INTO package (id, kind, sender, document_id, status_code, related_package_id, sha256, size_bytes,
                                transport, transport_message_id, received_at, accepted_at, signature)
           SELECT package_id, 'status', ${sender}, ${documentId}, ${code}::text, ${p.add(r.relatedPackageId)}::uuid,
                  decode(${sha256}, 'hex'), ${p.add(r.size)}::int, ${p.add(r.transport)}::text, ${p.add(r.transportMessageId)}::text,
                  ${p.add(r.receivedAt)}::timestamptz, ${acceptedAt}::timestamptz, ${p.add(JSON.stringify(r.signature))}::jsonb
             FROM registered
           RETURNING id
         ), content AS (
           INSERT INTO package_content (package_id, body) SELECT id, ${p.add(bufferView(body))} FROM p
         ), copy AS (
           UPDATE delivery
              SET state = ${p.add(t.state)}, change_state = ${p.add(t.changeState)},
                  state_at = CASE WHEN ${p.add(changed)}::boolean THEN ${acceptedAt}::timestamptz ELSE state_at END,
                  delivered_at = coalesce(delivered_at, CASE WHEN ${p.add(t.state)} NOT IN ('queued') THEN ${acceptedAt}::timestamptz END),
                  last_status_code = ${code}
            WHERE package_id = ${p.add(r.delivery.packageId)} AND recipient = ${p.add(r.delivery.recipient)} AND EXISTS (SELECT 1 FROM p)
         ), ${traceCte(p, [trace])}, ${receiptCte(p, r.receipt)}, ${mailCtes(p, this.leaseSeconds, r.outbox)}
         ${RESULT}`,
        p.values,
      );
      if (!result || result.inserted === 0) {
        return {
          stored: false,
          existing: await this.existing(
            sql,
            `r.kind = 'status' AND r.sender = $1 AND r.sha256 = decode($2, 'hex')`,
            [r.sender, r.sha256],
          ),
        };
      }
      const outbox = matchOutbox(r.outbox, result.outbox);
      if (t.changeState === 'withdrawn' && before.changeState !== 'withdrawn' && r.onWithdrawn) {
        outbox.push(...(await insertNotices(sql, this.leaseSeconds, r.onWithdrawn())));
      }
      return { stored: true, outbox, transition: t };
    });
  }

  async storeReceipt(
    receipt: ReceiptRecord,
    outbox: OutboxRecord[],
    trace: TraceEventRecord[],
  ): Promise<StoredOutbox[]> {
    return insertNotices(this.sql, this.leaseSeconds, { receipt, outbox, traceEvents: trace });
  }

  async storeRejection(
    x: QuarantineRecord,
    receipt: ReceiptRecord | null,
    outbox: OutboxRecord[],
  ): Promise<StoredOutbox[]> {
    const storedBody = await bodyBytes(x.body, x.storedBytes);
    const p = new Params();
    const result = await this.sql.one<{ outbox: InsertedOutbox[] }>(
      `WITH q AS (
         INSERT INTO quarantine (id, received_at, transport, transport_message_id, authenticated_sender, claimed_sender,
                                 message_type, document_id, reason_code, reason_text, details, sha256, size_bytes, body, body_truncated)
         VALUES (${[
           x.id,
           x.receivedAt,
           x.transport,
           x.transportMessageId,
           x.authenticatedSender,
           x.claimedSender,
           x.messageType,
           x.documentId,
           x.reasonCode,
           x.reasonText,
         ]
           .map((v) => p.add(v))
           .join(
             ', ',
           )}, ${p.add(JSON.stringify(x.details))}::jsonb, decode(${p.add(x.sha256)}, 'hex'), ${p.add(x.size)},
                 ${p.add(bufferView(storedBody))}, ${p.add(x.bodyTruncated)})
         RETURNING id
       ), p AS (SELECT 1 FROM q), ${receiptCte(p, receipt)}, ${mailCtes(p, this.leaseSeconds, outbox)}
       SELECT coalesce((SELECT json_agg(o) FROM outbox_rows o), '[]'::json) AS outbox`,
      p.values,
    );
    return matchOutbox(outbox, result?.outbox ?? []);
  }

  // Neither finder offers a document of an archived month, restored (read-only) or not: a status
  // or a change for it is refused with a reason, instead of failing on the read-only trigger.
  async findOriginal(sender: string, documentId: string): Promise<StatusTarget | null> {
    const row = await this.sql.one<{ id: string; business_doc_type: number; recipients: string[] }>(
      `SELECT r.package_id AS id, r.business_doc_type, array_agg(d.recipient) AS recipients
         FROM package_register r JOIN delivery d ON d.package_id = r.package_id
        WHERE r.kind = 'edoc' AND r.sender = $1 AND r.document_id = $2 AND r.business_doc_type = 0
          AND NOT EXISTS (SELECT 1 FROM archived_month a WHERE a.month = edoc_month_key(r.package_id))
        GROUP BY r.package_id, r.business_doc_type`,
      [sender, documentId],
    );
    return row
      ? {
          busId: row.id,
          documentSender: sender,
          businessDocType: row.business_doc_type,
          recipients: row.recipients,
          relatedPackageId: null,
        }
      : null;
  }

  async findStatusTargets(documentSender: string, documentId: string): Promise<StatusTarget[]> {
    const found = await this.sql.rows<{
      id: string;
      sender: string;
      business_doc_type: number;
      recipients: string[];
      related_package_id: string | null;
    }>(
      `SELECT p.id, p.sender, p.business_doc_type, p.related_package_id, array_agg(d.recipient) AS recipients
         FROM package_register r JOIN package p ON p.id = r.package_id JOIN delivery d ON d.package_id = r.package_id
        WHERE r.kind = 'edoc' AND r.sender = $1 AND r.document_id = $2
          AND NOT EXISTS (SELECT 1 FROM archived_month a WHERE a.month = edoc_month_key(r.package_id))
        GROUP BY p.id ORDER BY max(p.accepted_at) DESC LIMIT 20`,
      [documentSender, documentId],
    );
    return found.map((row) => ({
      busId: row.id,
      documentSender: row.sender,
      businessDocType: row.business_doc_type,
      recipients: row.recipients,
      relatedPackageId: row.related_package_id,
    }));
  }

  async findByTransportMessage(
    sender: string,
    transportMessageId: string,
  ): Promise<{ kind: 'package'; busId: string } | { kind: 'quarantine'; id: string } | null> {
    const row = await this.sql.one<{ kind: 'package' | 'quarantine'; id: string }>(
      `SELECT 'package' AS kind, id FROM package WHERE sender = $1 AND transport_message_id = $2
       UNION ALL
       SELECT 'quarantine', id FROM quarantine WHERE authenticated_sender = $1 AND transport_message_id = $2
       LIMIT 1`,
      [sender, transportMessageId],
    );
    if (!row) return null;
    return row.kind === 'package' ? { kind: 'package', busId: row.id } : { kind: 'quarantine', id: row.id };
  }

  async readPackageBody(packageId: string): Promise<Uint8Array> {
    const body = await readPackageContent(this.db, packageId);
    if (!body) throw new Error(`package ${packageId} has no stored content`);
    return body;
  }

  /**
   * With `copyBodyIn`, the statement leaves the body out and it is COPYed in that transaction
   * (always so for a spooled body, see `isCopied`; without it the body is in memory).
   */
  private async insertDocument(
    sql: Sql,
    r: AcceptedDocumentRecord,
    copyBodyIn?: EntityManager,
  ): Promise<DocumentStoreResult> {
    const p = new Params();
    const content = copyBodyIn
      ? ''
      : `content AS (
         INSERT INTO package_content (package_id, body) SELECT id, ${p.add(bufferView(r.body as Uint8Array))} FROM p
       ), `;
    const acceptedAt = `${p.add(r.acceptedAt)}::timestamptz`;
    const id = p.add(r.busId);
    const sender = p.add(r.sender);
    const documentId = p.add(r.documentId);
    const businessDocType = p.add(r.businessDocType);
    const sha256 = p.add(r.sha256);
    const relatedPackageId = p.add(r.relatedPackageId);
    const result = await sql.one<{ inserted: number; outbox: InsertedOutbox[] }>(
      `WITH registered AS (
         INSERT INTO package_register (package_id, kind, sender, document_id, business_doc_type, sha256, related_package_id)
         VALUES (${id}::uuid, 'edoc', ${sender}::text, ${documentId}::text, ${businessDocType}::smallint,
                 decode(${sha256}::text, 'hex'), ${relatedPackageId}::uuid)
         ON CONFLICT (sender, document_id, business_doc_type) WHERE kind = 'edoc' DO NOTHING
         RETURNING package_id
       ), p AS (
         INSERT INTO package (id, kind, sender, document_id, business_doc_type, related_package_id, sha256, size_bytes, transport,
                              transport_message_id, subject, code_number, code_notation, priority, received_at, accepted_at, signature)
         SELECT package_id, 'edoc', ${sender}, ${documentId}, ${businessDocType}, ${relatedPackageId}::uuid,
                decode(${sha256}::text, 'hex'), ${p.add(r.size)}::int, ${p.add(r.transport)}::text, ${p.add(r.transportMessageId)}::text,
                ${p.add(r.subject)}::text, ${p.add(r.codeNumber)}::text, ${p.add(r.codeNotation)}::text, ${p.add(r.priority)}::smallint,
                ${p.add(r.receivedAt)}::timestamptz, ${acceptedAt}, ${p.add(JSON.stringify(r.signature))}::jsonb
           FROM registered
         RETURNING id
       ), ${content}deliveries AS (
         INSERT INTO delivery (package_id, recipient, addressed_to, state, state_at, created_at, priority, arrival_due_at, decision_due_at)
         SELECT p.id, t.recipient, t.addressed_to, 'queued', ${acceptedAt}, ${acceptedAt}, ${p.add(r.priority ?? 0)}, t.arrival, t.decision
           FROM p, unnest(${p.add(r.deliveries.map((d) => d.recipient))}::text[], ${p.add(r.deliveries.map((d) => d.addressedTo))}::text[],
                          ${p.add(r.deliveries.map((d) => d.arrivalDueAt))}::timestamptz[], ${p.add(r.deliveries.map((d) => d.decisionDueAt))}::timestamptz[])
                AS t(recipient, addressed_to, arrival, decision)
       ), ${traceCte(p, r.traceEvents)}, ${receiptCte(p, r.receipt)}, ${mailCtes(p, this.leaseSeconds, r.outbox)}
       ${RESULT}`,
      p.values,
    );
    if (!result || result.inserted === 0) {
      return {
        stored: false,
        existing: await this.existing(
          sql,
          `r.kind = 'edoc' AND r.sender = $1 AND r.document_id = $2 AND r.business_doc_type = $3`,
          [r.sender, r.documentId, r.businessDocType],
        ),
      };
    }
    if (copyBodyIn) await copyPackageContent(copyBodyIn, r.busId, r.body);
    return { stored: true, outbox: matchOutbox(r.outbox, result.outbox) };
  }

  private async existing(sql: Sql, where: string, params: unknown[]): Promise<ExistingPackage> {
    // The register outlives the package's month: an archived original still makes a duplicate.
    const row = await sql.one<{
      id: string;
      sha256: string;
      transport_message_id: string | null;
      transport: TransportName | null;
      archived_in: string | null;
    }>(
      `SELECT r.package_id AS id, encode(r.sha256, 'hex') AS sha256, p.transport_message_id, p.transport,
              (SELECT a.month FROM archived_month a WHERE a.month = edoc_month_key(r.package_id)) AS archived_in
         FROM package_register r LEFT JOIN package p ON p.id = r.package_id
        WHERE ${where} LIMIT 1`,
      params,
    );
    if (!row) throw new Error('Idempotency conflict reported but no existing package found');
    return {
      busId: row.id,
      sha256: row.sha256,
      transportMessageId: row.transport_message_id,
      transport: row.transport,
      archivedIn: row.archived_in,
    };
  }
}
