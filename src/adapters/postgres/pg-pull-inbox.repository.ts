import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { DeadLetter } from '../../modules/dead-letters/dead-letter';
import {
  PullInboxRepository,
  type PullItem,
  type PullListing,
  type PullItemContent,
  type PullMessageType,
  type SettleOutcome,
  type SettleResult,
} from '../../modules/bridge/pull-inbox-repository.port';
import type { Lane } from '../../modules/delivery/delivery-records';
import { copyOutValue } from './copy-package-content';
import { Sql } from './sql';

/** Dead letters of a pull inbox are named after it, like the AMQP inboxes' queues (for operators). */
const PULL_QUEUE_PREFIX = 'pull.';
const PULL_ITEM_HEADER = 'x-edoc-pull-item';

interface ItemRow {
  id: string;
  message_type: PullMessageType;
  package_id: string | null;
  receipt_id: string | null;
  headers: Record<string, string>;
  lane: Lane;
  state: PullItem['state'];
  fail_count: number;
  created_at: Date;
}

/** 3 MiB: a multiple of 3, so base64 of each piece concatenates into the base64 of the whole. */
const READ_CHUNK = 3 * 1024 * 1024;
const ITEM_COLUMNS = `id, message_type, package_id, receipt_id, headers, lane, state, fail_count, created_at`;
const BODY_OF = `coalesce(p.body, (SELECT c.body FROM package_content c WHERE c.package_id = p.package_id),
                          (SELECT r.body FROM receipt r WHERE r.id = p.receipt_id))`;

function toItem(r: ItemRow): PullItem {
  return {
    docId: (r.package_id ?? r.receipt_id)!,
    messageType: r.message_type,
    from: r.headers['x-edoc-from'] ?? null,
    documentId: r.headers['x-edoc-document-id'] ?? null,
    statusCode: r.headers['x-edoc-status-code'] ?? null,
    receiptOutcome: r.headers['x-edoc-receipt-outcome'] ?? null,
    lane: r.lane,
    state: r.state,
    failCount: r.fail_count,
    createdAt: r.created_at,
    cursor: String(r.id),
  };
}

/**
 * The inboxes of endpoints that poll. Filled by the transactions that decide their mail (see
 * write-fragments' mailCtes), read and settled by the bridges.
 */
export class PgPullInbox extends PullInboxRepository {
  private readonly sql: Sql;

  constructor(private readonly db: DataSource) {
    super();
    this.sql = new Sql(db);
  }

  async list(q: PullListing): Promise<PullItem[]> {
    const after = q.after && /^\d{1,19}$/.test(q.after) ? q.after : null;
    const rows = await this.sql.rows<ItemRow>(
      `WITH picked AS (
         SELECT id FROM pull_item
          WHERE endpoint = $1 AND state = 'pending' AND message_type = ANY($2::text[])
            AND (lease_owner IS NULL OR leased_until <= $3 OR lease_owner = $4)
            AND ($5::bigint IS NULL OR id > $5::bigint)
          ORDER BY id LIMIT $6
          FOR UPDATE SKIP LOCKED)
       UPDATE pull_item p SET lease_owner = $4, leased_until = $3::timestamptz + make_interval(secs => $7)
         FROM picked WHERE p.id = picked.id
       RETURNING p.${ITEM_COLUMNS.split(', ').join(', p.')}`,
      [q.endpoint, q.types, q.now, q.poller, after, q.limit, q.leaseSeconds],
    );
    return rows.sort((a, b) => Number(a.id) - Number(b.id)).map(toItem);
  }

  async countPending(endpoint: string, types: PullMessageType[]): Promise<number> {
    const row = await this.sql.one<{ n: number }>(
      `SELECT count(*)::int AS n FROM pull_item
        WHERE endpoint = $1 AND state = 'pending' AND message_type = ANY($2::text[])`,
      [endpoint, types],
    );
    return row?.n ?? 0;
  }

  async fetch(endpoint: string, docId: string): Promise<PullItemContent | null> {
    const row = await this.sql.one<ItemRow & { size: number }>(
      `SELECT p.${ITEM_COLUMNS.split(', ').join(', p.')}, octet_length(${BODY_OF}) AS size
         FROM pull_item p
        WHERE p.endpoint = $1 AND (p.package_id = $2::uuid OR p.receipt_id = $2::uuid) AND p.state = 'pending'`,
      [endpoint, docId],
    );
    if (!row) return null;
    const size = Number(row.size);
    return { item: toItem(row), size, chunks: () => this.chunks(row.id, size) };
  }

  /**
   * Reads the body a slice at a time, each by a binary COPY (as a result column a bytea comes as
   * hex text). A connection is held for one slice, not for the whole download to a slow client.
   */
  private async *chunks(id: string, size: number): AsyncIterable<Uint8Array> {
    if (!/^\d+$/.test(id)) throw new Error(`not a pull item id: ${id}`);
    for (let offset = 0; offset < size; offset += READ_CHUNK) {
      const part = await copyOutValue(
        this.db,
        `SELECT substring(${BODY_OF} FROM ${offset + 1} FOR ${READ_CHUNK}) FROM pull_item p WHERE p.id = ${id}`,
      );
      if (!part) throw new Error(`pull item ${id} vanished while it was read`);
      yield part;
    }
  }

  async settle(
    endpoint: string,
    docId: string,
    outcome: SettleOutcome,
    at: Date,
    settings: { failLimit: number; leaseSeconds: number },
  ): Promise<SettleResult> {
    return this.db.transaction(async (m) => {
      const sql = new Sql(m);
      const row = await sql.one<{ id: string; state: PullItem['state']; fail_count: number }>(
        `SELECT id, state, fail_count FROM pull_item
          WHERE endpoint = $1 AND (package_id = $2::uuid OR receipt_id = $2::uuid) FOR UPDATE`,
        [endpoint, docId],
      );
      if (!row) return { found: false };
      if (row.state !== 'pending') return { found: true, state: row.state, failCount: row.fail_count };
      if (outcome === 'done') {
        await sql.exec(
          `UPDATE pull_item SET state = 'done', settled_at = $2, lease_owner = NULL WHERE id = $1`,
          [row.id, at],
        );
        return { found: true, state: 'done', failCount: row.fail_count };
      }
      if (outcome === 'processing') {
        await sql.exec(
          `UPDATE pull_item SET leased_until = $2::timestamptz + make_interval(secs => $3) WHERE id = $1`,
          [row.id, at, settings.leaseSeconds],
        );
        return { found: true, state: 'pending', failCount: row.fail_count };
      }
      const failCount = row.fail_count + 1;
      if (failCount < settings.failLimit) {
        await sql.exec(
          `UPDATE pull_item SET fail_count = $2, lease_owner = NULL, leased_until = NULL WHERE id = $1`,
          [row.id, failCount],
        );
        return { found: true, state: 'pending', failCount };
      }
      await sql.exec(`UPDATE pull_item SET state = 'dead', fail_count = $2, settled_at = $3 WHERE id = $1`, [
        row.id,
        failCount,
        at,
      ]);
      await sql.exec(
        `INSERT INTO dead_letter (id, fingerprint, queue, channel, reason, message_id, message_type, user_id, headers, body, dead_at)
         SELECT $2, $3, $4, 'pull', $5, p.message_id, p.message_type, NULL,
                p.headers || jsonb_build_object('${PULL_ITEM_HEADER}', p.id::text), ${BODY_OF}, $6
           FROM pull_item p WHERE p.id = $1`,
        [
          row.id,
          randomUUID(),
          `pull:${row.id}:${at.toISOString()}`,
          `${PULL_QUEUE_PREFIX}${endpoint}`,
          `the recipient's system reported failure ${failCount} times (updateStatus fail)`,
          at,
        ],
      );
      return { found: true, state: 'dead', failCount, deadLettered: true };
    });
  }

  /** Puts a dead pull item back in its inbox (operator redelivery). */
  async restore(letter: DeadLetter): Promise<void> {
    const id = letter.headers[PULL_ITEM_HEADER];
    if (typeof id !== 'string' || !/^\d+$/.test(id)) throw new Error('not a pull-inbox dead letter');
    await this.sql.exec(
      `UPDATE pull_item SET state = 'pending', fail_count = 0, lease_owner = NULL, leased_until = NULL, settled_at = NULL
        WHERE id = $1 AND state = 'dead'`,
      [id],
    );
  }
}
