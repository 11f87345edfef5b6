import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  SubmissionRepository,
  type AcceptedDocumentRecord,
  type AcceptedStatusRecord,
  type ExistingPackage,
  type OutboxRecord,
  type QuarantineRecord,
  type ReceiptRecord,
  type StatusTarget,
  type StoredOutbox,
  type StoreResult,
  type TraceEventRecord,
  type TransportName,
} from '../../modules/routing/submission.repository';
import { Sql } from './sql';
import { OUTBOX_LEASE_SECONDS } from './tokens';

interface InsertedOutbox {
  id: string;
  message_type: string;
  destination: string;
}

/**
 * The submission's writes. Accepting a package is ONE statement: data-modifying CTEs insert the
 * package, its content, the deliveries, the trace, the receipt and the outbox rows, each gated on
 * the package insert (ON CONFLICT DO NOTHING on the idempotency key). One round trip and one
 * commit per package, atomic without an explicit transaction; multi-row parts use `unnest`, so a
 * broadcast to 95 endpoints has the same fixed number of parameters.
 */
@Injectable()
export class PgSubmissionRepository extends SubmissionRepository {
  private readonly sql: Sql;

  constructor(
    db: DataSource,
    @Inject(OUTBOX_LEASE_SECONDS) private readonly leaseSeconds: number,
  ) {
    super();
    this.sql = new Sql(db);
  }

  async storeAcceptedDocument(r: AcceptedDocumentRecord): Promise<StoreResult> {
    const result = await this.sql.one<{ inserted: number; outbox: InsertedOutbox[] }>(
      `WITH p AS (
         INSERT INTO package (id, kind, sender, document_id, business_doc_type, sha256, size_bytes, transport,
                              transport_message_id, subject, code_number, code_notation, priority, received_at, accepted_at, signature)
         VALUES ($1, 'edoc', $2, $3, $4, decode($5, 'hex'), $6, $7, $8, $9, $10, $11, $12, $13, $14, $41::jsonb)
         ON CONFLICT (sender, document_id, business_doc_type) WHERE kind = 'edoc' DO NOTHING
         RETURNING id
       ), content AS (
         INSERT INTO package_content (package_id, body) SELECT id, $15 FROM p
       ), deliveries AS (
         INSERT INTO delivery (package_id, recipient, addressed_to, state, state_at, created_at)
         SELECT p.id, t.recipient, t.addressed_to, 'queued', $14, $14 FROM p, unnest($16::text[], $17::text[]) AS t(recipient, addressed_to)
       ), ${TRACE_CTE(18)}, ${RECEIPT_CTE(26)}, ${OUTBOX_CTE(34)}
       ${RESULT}`,
      [
        r.busId,
        r.sender,
        r.documentId,
        r.businessDocType,
        r.sha256,
        r.size,
        r.transport,
        r.transportMessageId,
        r.subject,
        r.codeNumber,
        r.codeNotation,
        r.priority,
        r.receivedAt,
        r.acceptedAt,
        Buffer.from(r.body),
        r.deliveries.map((d) => d.recipient),
        r.deliveries.map((d) => d.addressedTo),
        ...traceParams(r.traceEvents),
        ...receiptParams(r.receipt),
        ...this.outboxParams(r.outbox),
        JSON.stringify(r.signature), // $41
      ],
    );
    if (!result || result.inserted === 0) {
      return {
        stored: false,
        existing: await this.existing(
          `kind = 'edoc' AND sender = $1 AND document_id = $2 AND business_doc_type = $3`,
          [r.sender, r.documentId, r.businessDocType],
        ),
      };
    }
    return { stored: true, outbox: matchOutbox(r.outbox, result.outbox) };
  }

  async storeAcceptedStatus(r: AcceptedStatusRecord): Promise<StoreResult> {
    const result = await this.sql.one<{ inserted: number; outbox: InsertedOutbox[] }>(
      `WITH p AS (
         INSERT INTO package (id, kind, sender, document_id, status_code, related_package_id, sha256, size_bytes,
                              transport, transport_message_id, received_at, accepted_at, signature)
         VALUES ($1, 'status', $2, $3, $4, $5, decode($6, 'hex'), $7, $8, $9, $10, $11, $39::jsonb)
         ON CONFLICT (sender, sha256) WHERE kind = 'status' DO NOTHING
         RETURNING id
       ), content AS (
         INSERT INTO package_content (package_id, body) SELECT id, $12 FROM p
       ), copy AS (
         UPDATE delivery SET state = $15, state_at = $11, last_status_code = $4
          WHERE package_id = $13 AND recipient = $14 AND EXISTS (SELECT 1 FROM p)
       ), ${TRACE_CTE(16)}, ${RECEIPT_CTE(24)}, ${OUTBOX_CTE(32)}
       ${RESULT}`,
      [
        r.busId,
        r.sender,
        r.documentId,
        r.statusCode,
        r.relatedPackageId,
        r.sha256,
        r.size,
        r.transport,
        r.transportMessageId,
        r.receivedAt,
        r.acceptedAt,
        Buffer.from(r.body),
        r.delivery.packageId,
        r.delivery.recipient,
        r.delivery.state,
        ...traceParams(r.traceEvents),
        ...receiptParams(r.receipt),
        ...this.outboxParams(r.outbox),
        JSON.stringify(r.signature), // $39
      ],
    );
    if (!result || result.inserted === 0) {
      return {
        stored: false,
        existing: await this.existing(`kind = 'status' AND sender = $1 AND sha256 = decode($2, 'hex')`, [
          r.sender,
          r.sha256,
        ]),
      };
    }
    return { stored: true, outbox: matchOutbox(r.outbox, result.outbox) };
  }

  async storeReceipt(
    receipt: ReceiptRecord,
    outbox: OutboxRecord[],
    trace: TraceEventRecord[],
  ): Promise<StoredOutbox[]> {
    const result = await this.sql.one<{ outbox: InsertedOutbox[] }>(
      `WITH p AS (SELECT 1), ${TRACE_CTE(1)}, ${RECEIPT_CTE(9)}, ${OUTBOX_CTE(17)}
       SELECT coalesce((SELECT json_agg(o) FROM outbox_rows o), '[]'::json) AS outbox`,
      [...traceParams(trace), ...receiptParams(receipt), ...this.outboxParams(outbox)],
    );
    return matchOutbox(outbox, result?.outbox ?? []);
  }

  async storeRejection(
    x: QuarantineRecord,
    receipt: ReceiptRecord | null,
    outbox: OutboxRecord[],
  ): Promise<StoredOutbox[]> {
    const result = await this.sql.one<{ outbox: InsertedOutbox[] }>(
      `WITH q AS (
         INSERT INTO quarantine (id, received_at, transport, transport_message_id, authenticated_sender, claimed_sender,
                                 message_type, document_id, reason_code, reason_text, details, sha256, size_bytes, body, body_truncated)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, decode($12, 'hex'), $13, $14, $15)
         RETURNING id
       ), p AS (SELECT 1 FROM q WHERE $16::boolean), ${RECEIPT_CTE(17)}, ${OUTBOX_CTE(25)}
       SELECT coalesce((SELECT json_agg(o) FROM outbox_rows o), '[]'::json) AS outbox`,
      [
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
        JSON.stringify(x.details),
        x.sha256,
        x.size,
        Buffer.from(x.body),
        x.bodyTruncated,
        receipt !== null,
        ...receiptParams(receipt ?? NO_RECEIPT),
        ...this.outboxParams(outbox),
      ],
    );
    return matchOutbox(outbox, result?.outbox ?? []);
  }

  async findStatusTargets(documentSender: string, documentId: string): Promise<StatusTarget[]> {
    const found = await this.sql.rows<{ id: string; sender: string; recipients: string[] }>(
      `SELECT p.id, p.sender, array_agg(d.recipient) AS recipients
         FROM package p JOIN delivery d ON d.package_id = p.id
        WHERE p.kind = 'edoc' AND p.sender = $1 AND p.document_id = $2
        GROUP BY p.id ORDER BY max(p.accepted_at) DESC LIMIT 20`,
      [documentSender, documentId],
    );
    return found.map((row) => ({ busId: row.id, documentSender: row.sender, recipients: row.recipients }));
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

  private async existing(where: string, params: unknown[]): Promise<ExistingPackage> {
    const row = await this.sql.one<{
      id: string;
      sha256: string;
      transport_message_id: string | null;
      transport: TransportName;
    }>(
      `SELECT id, encode(sha256, 'hex') AS sha256, transport_message_id, transport FROM package WHERE ${where} LIMIT 1`,
      params,
    );
    if (!row) throw new Error('Idempotency conflict reported but no existing package found');
    return {
      busId: row.id,
      sha256: row.sha256,
      transportMessageId: row.transport_message_id,
      transport: row.transport,
    };
  }

  /** Outbox rows are written leased to this process, which publishes them right after the commit. */
  private outboxParams(rows: OutboxRecord[]): unknown[] {
    return [
      rows.map((r) => r.destination),
      rows.map((r) => r.messageType),
      rows.map((r) => r.messageId),
      rows.map((r) => r.packageId ?? null),
      rows.map((r) => r.receiptId ?? null),
      rows.map((r) => JSON.stringify(r.headers)),
      this.leaseSeconds,
    ];
  }
}

// The CTE fragments below take their parameters from position `n` on; each is gated on `p`.

const TRACE_CTE = (n: number) => `trace AS (
  INSERT INTO trace_event (package_id, recipient, event, status_code, source, source_package_id, detail, at)
  SELECT t.* FROM (SELECT 1 FROM p LIMIT 1) AS gate,
         unnest($${n}::uuid[], $${n + 1}::text[], $${n + 2}::text[], $${n + 3}::text[], $${n + 4}::text[], $${n + 5}::uuid[], $${n + 6}::jsonb[], $${n + 7}::timestamptz[])
         AS t(package_id, recipient, event, status_code, source, source_package_id, detail, at)
)`;

const RECEIPT_CTE = (n: number) => `receipt_row AS (
  INSERT INTO receipt (id, recipient, package_id, quarantine_id, outcome, reason_code, body, issued_at)
  SELECT $${n}::uuid, $${n + 1}::text, $${n + 2}::uuid, $${n + 3}::uuid, $${n + 4}::text, $${n + 5}::text, $${n + 6}::bytea, $${n + 7}::timestamptz
    FROM (SELECT 1 FROM p LIMIT 1) AS gate
   WHERE $${n}::uuid IS NOT NULL
  RETURNING id
)`;

/** Foreign keys to rows inserted by sibling CTEs hold: Postgres checks them at the end of the statement. */
const OUTBOX_CTE = (n: number) => `outbox_rows AS (
  INSERT INTO outbox (destination, message_type, message_id, package_id, receipt_id, headers, available_at)
  SELECT t.destination, t.message_type, t.message_id, t.package_id, t.receipt_id, t.headers, now() + make_interval(secs => $${n + 6})
    FROM (SELECT 1 FROM p LIMIT 1) AS gate,
         unnest($${n}::text[], $${n + 1}::text[], $${n + 2}::text[], $${n + 3}::uuid[], $${n + 4}::uuid[], $${n + 5}::jsonb[])
         AS t(destination, message_type, message_id, package_id, receipt_id, headers)
  RETURNING id, message_type, destination
)`;

const RESULT = `SELECT (SELECT count(*) FROM p)::int AS inserted,
       coalesce((SELECT json_agg(o) FROM outbox_rows o), '[]'::json) AS outbox`;

const NO_RECEIPT: ReceiptRecord = {
  id: null as unknown as string,
  recipient: '',
  packageId: null,
  quarantineId: null,
  outcome: 'rejected',
  reasonCode: null,
  body: new Uint8Array(),
  issuedAt: new Date(0),
};

function traceParams(events: TraceEventRecord[]): unknown[] {
  return [
    events.map((e) => e.packageId),
    events.map((e) => e.recipient),
    events.map((e) => e.event),
    events.map((e) => e.statusCode ?? null),
    events.map((e) => e.source),
    events.map((e) => e.sourcePackageId ?? null),
    events.map((e) => (e.detail ? JSON.stringify(e.detail) : null)),
    events.map((e) => e.at),
  ];
}

function receiptParams(r: ReceiptRecord): unknown[] {
  return [
    r.id,
    r.recipient,
    r.packageId,
    r.quarantineId,
    r.outcome,
    r.reasonCode,
    Buffer.from(r.body),
    r.issuedAt,
  ];
}

/** Pairs inserted outbox ids with their records: within one submission (type, destination) is unique. */
function matchOutbox(records: OutboxRecord[], inserted: InsertedOutbox[]): StoredOutbox[] {
  const ids = new Map(inserted.map((o) => [`${o.message_type}\u0000${o.destination}`, String(o.id)]));
  return records.flatMap((record) => {
    const id = ids.get(`${record.messageType}\u0000${record.destination}`);
    return id ? [{ id, record }] : [];
  });
}
