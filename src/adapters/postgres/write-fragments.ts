import type {
  Notices,
  OutboxRecord,
  ReceiptRecord,
  StoredOutbox,
  TraceEventRecord,
} from '../../modules/delivery/delivery-records';
import type { Sql } from './sql';

/**
 * SQL fragments shared by the repositories that write a decision in one statement: data-modifying
 * CTEs for trace events, a receipt and outbox rows, each gated on a CTE named `p` (nothing is
 * written when `p` is empty, e.g. a duplicate). Multi-row parts use `unnest`, so the number of
 * parameters does not grow with the number of rows.
 */

export interface InsertedOutbox {
  id: string;
  message_type: string;
  destination: string;
  message_id: string;
}

/** Collects positional parameters: `p.add(value)` returns its `$n`. */
export class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

// Each fragment is gated on `p` (the package insert): nothing is written for a duplicate.
// Foreign keys to rows inserted by sibling CTEs hold: Postgres checks them at the end of the statement.

export function traceCte(p: Params, events: TraceEventRecord[]): string {
  const col = <T>(f: (e: TraceEventRecord) => T) => p.add(events.map(f));
  return `trace AS (
    INSERT INTO trace_event (package_id, recipient, event, status_code, source, source_package_id, detail, state_before, state_after, flag, at)
    SELECT t.* FROM (SELECT 1 FROM p LIMIT 1) AS gate,
           unnest(${col((e) => e.packageId)}::uuid[], ${col((e) => e.recipient)}::text[], ${col((e) => e.event)}::text[],
                  ${col((e) => e.statusCode ?? null)}::text[], ${col((e) => e.source)}::text[], ${col((e) => e.sourcePackageId ?? null)}::uuid[],
                  ${col((e) => (e.detail ? JSON.stringify(e.detail) : null))}::jsonb[], ${col((e) => e.stateBefore ?? null)}::text[],
                  ${col((e) => e.stateAfter ?? null)}::text[], ${col((e) => e.flag ?? null)}::text[], ${col((e) => e.at)}::timestamptz[])
           AS t(package_id, recipient, event, status_code, source, source_package_id, detail, state_before, state_after, flag, at)
  )`;
}

export function receiptCte(p: Params, r: ReceiptRecord | null): string {
  if (!r) return `receipt_row AS (SELECT NULL::uuid AS id WHERE false)`;
  return `receipt_row AS (
    INSERT INTO receipt (id, recipient, package_id, quarantine_id, outcome, reason_code, body, issued_at)
    SELECT ${p.add(r.id)}::uuid, ${p.add(r.recipient)}::text, ${p.add(r.packageId)}::uuid, ${p.add(r.quarantineId)}::uuid,
           ${p.add(r.outcome)}::text, ${p.add(r.reasonCode)}::text, ${p.add(Buffer.from(r.body))}::bytea, ${p.add(r.issuedAt)}::timestamptz
      FROM (SELECT 1 FROM p LIMIT 1) AS gate
    RETURNING id
  )`;
}

export const RESULT = `SELECT (SELECT count(*) FROM p)::int AS inserted,
       coalesce((SELECT json_agg(o) FROM outbox_rows o), '[]'::json) AS outbox`;

/**
 * A decision's mail, each message by its channel: broker-channel messages become outbox rows,
 * leased to this process, which publishes them right after the commit; pull-channel messages
 * become items of the destination's pull inbox (a withdrawal hides the recalled copy's item), so
 * a copy for a polling endpoint is in its inbox when the transaction commits.
 */
export function mailCtes(p: Params, leaseSeconds: number, rows: OutboxRecord[]): string {
  const pull = rows.filter((r) => r.channel === 'pull');
  return [
    outboxCte(
      p,
      leaseSeconds,
      rows.filter((r) => r.channel === 'broker'),
    ),
    pullItemsCte(
      p,
      pull.filter((r) => r.messageType !== 'withdrawal'),
    ),
    pullWithdrawalsCte(
      p,
      pull.filter((r) => r.messageType === 'withdrawal'),
    ),
  ].join(', ');
}

function outboxCte(p: Params, leaseSeconds: number, rows: OutboxRecord[]): string {
  return `outbox_rows AS (
    INSERT INTO outbox (destination, message_type, message_id, lane, package_id, receipt_id, body, headers, available_at)
    SELECT t.destination, t.message_type, t.message_id, t.lane, t.package_id, t.receipt_id, t.body, t.headers,
           now() + make_interval(secs => ${p.add(leaseSeconds)})
      FROM (SELECT 1 FROM p LIMIT 1) AS gate,
           unnest(${p.add(rows.map((r) => r.destination))}::text[], ${p.add(rows.map((r) => r.messageType))}::text[],
                  ${p.add(rows.map((r) => r.messageId))}::text[], ${p.add(rows.map((r) => r.lane ?? 'normal'))}::text[],
                  ${p.add(rows.map((r) => r.packageId ?? null))}::uuid[], ${p.add(rows.map((r) => r.receiptId ?? null))}::uuid[],
                  ${p.add(rows.map((r) => (r.body ? Buffer.from(r.body) : null)))}::bytea[], ${p.add(rows.map((r) => JSON.stringify(r.headers)))}::jsonb[])
           AS t(destination, message_type, message_id, lane, package_id, receipt_id, body, headers)
    RETURNING id, message_type, destination, message_id
  )`;
}

/** The body of a pull item is the stored package or receipt it names, or carried inline. */
function pullItemsCte(p: Params, rows: OutboxRecord[]): string {
  if (rows.length === 0) return `pull_rows AS (SELECT NULL::bigint AS id WHERE false)`;
  const inline = (r: OutboxRecord) => (r.packageId || r.receiptId || !r.body ? null : Buffer.from(r.body));
  return `pull_rows AS (
    INSERT INTO pull_item (endpoint, message_type, message_id, package_id, receipt_id, body, headers, lane, created_at)
    SELECT t.endpoint, t.message_type, t.message_id, t.package_id, t.receipt_id, t.body, t.headers, t.lane, now()
      FROM (SELECT 1 FROM p LIMIT 1) AS gate,
           unnest(${p.add(rows.map((r) => r.destination))}::text[], ${p.add(rows.map((r) => r.messageType))}::text[],
                  ${p.add(rows.map((r) => r.messageId))}::text[], ${p.add(rows.map((r) => r.packageId ?? null))}::uuid[],
                  ${p.add(rows.map((r) => r.receiptId ?? null))}::uuid[], ${p.add(rows.map(inline))}::bytea[],
                  ${p.add(rows.map((r) => JSON.stringify(r.headers)))}::jsonb[], ${p.add(rows.map((r) => r.lane ?? 'normal'))}::text[])
           AS t(endpoint, message_type, message_id, package_id, receipt_id, body, headers, lane)
    ON CONFLICT (endpoint, message_id) DO NOTHING
    RETURNING id
  )`;
}

/** A recall took a copy back before it was taken: its pull item leaves the listing. */
function pullWithdrawalsCte(p: Params, rows: OutboxRecord[]): string {
  if (rows.length === 0) return `pull_withdrawn AS (SELECT NULL::bigint AS id WHERE false)`;
  return `pull_withdrawn AS (
    UPDATE pull_item i SET state = 'withdrawn', settled_at = now()
      FROM (SELECT 1 FROM p LIMIT 1) AS gate,
           unnest(${p.add(rows.map((r) => r.destination))}::text[], ${p.add(rows.map((r) => r.headers['x-edoc-bus-id'] ?? null))}::uuid[])
           AS w(endpoint, package_id)
     WHERE i.endpoint = w.endpoint AND i.package_id = w.package_id AND i.message_type = 'edoc' AND i.state = 'pending'
    RETURNING i.id
  )`;
}

/** Pairs inserted outbox ids with their records by (type, destination, message id), unique within one write. */
export function matchOutbox(records: OutboxRecord[], inserted: InsertedOutbox[]): StoredOutbox[] {
  const key = (type: string, destination: string, messageId: string) =>
    `${type}\u0000${destination}\u0000${messageId}`;
  const ids = new Map(inserted.map((o) => [key(o.message_type, o.destination, o.message_id), String(o.id)]));
  return records.flatMap((record) => {
    const id = ids.get(key(record.messageType, record.destination, record.messageId));
    return id ? [{ id, record }] : [];
  });
}

/** Receipts, mail and trace events that need no gate: one statement. */
export async function insertNotices(sql: Sql, leaseSeconds: number, n: Notices): Promise<StoredOutbox[]> {
  if (!n.receipt && n.outbox.length === 0 && n.traceEvents.length === 0) return [];
  const p = new Params();
  const result = await sql.one<{ outbox: InsertedOutbox[] }>(
    `WITH p AS (SELECT 1), ${traceCte(p, n.traceEvents)}, ${receiptCte(p, n.receipt)}, ${mailCtes(p, leaseSeconds, n.outbox)}
     SELECT coalesce((SELECT json_agg(o) FROM outbox_rows o), '[]'::json) AS outbox`,
    p.values,
  );
  return matchOutbox(n.outbox, result?.outbox ?? []);
}
