import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { PendingMessage } from '../../modules/delivery/outbox-dispatcher.port';
import type { Lane, MessageType } from '../../modules/delivery/delivery-records';
import { OutboxStore } from '../../modules/delivery/outbox-store.port';
import { COPIED_BODY_BYTES, readPackageContent } from './copy-package-content';
import { Sql } from './sql';

interface OutboxRow {
  id: string;
  destination: string;
  message_type: MessageType;
  message_id: string;
  package_id: string | null;
  receipt_id: string | null;
  body: Buffer | null;
  lane: Lane;
  headers: Record<string, string>;
  attempts: number;
}

/** The relay's view of the outbox: claim what is due, delete what the broker confirmed. */
@Injectable()
export class PgOutboxStore implements OutboxStore {
  private readonly sql: Sql;

  constructor(private readonly db: DataSource) {
    this.sql = new Sql(db);
  }

  /**
   * Takes up to `limit` rows whose lease has passed (left by a crash, or a failed publish) and
   * leases them to this process. SKIP LOCKED lets several bus processes sweep side by side.
   */
  async claimDue(limit: number, leaseSeconds: number): Promise<PendingMessage[]> {
    const claimed = await this.sql.rows<OutboxRow>(
      `UPDATE outbox o SET available_at = now() + make_interval(secs => $2), attempts = o.attempts + 1
        WHERE o.id IN (SELECT id FROM outbox WHERE available_at <= now() ORDER BY available_at, id LIMIT $1 FOR UPDATE SKIP LOCKED)
        RETURNING o.id, o.destination, o.message_type, o.message_id, o.package_id, o.receipt_id, o.body, o.lane, o.headers, o.attempts`,
      [limit, leaseSeconds],
    );
    if (claimed.length === 0) return [];
    const packageIds = [...new Set(claimed.map((r) => r.package_id).filter((v): v is string => v !== null))];
    const receiptIds = [...new Set(claimed.map((r) => r.receipt_id).filter((v): v is string => v !== null))];
    const bodies = new Map<string, PendingMessage['body']>();
    if (packageIds.length > 0) {
      // Large bodies are read by COPY when a copy to a broker inbox needs one, once per package
      // for the whole batch (a broadcast): as a result column a 50 MB body costs 150 MB of hex text.
      const rs = await this.sql.rows<{ id: string; body: Buffer | null }>(
        `SELECT package_id AS id, CASE WHEN octet_length(body) < $2 THEN body END AS body
           FROM package_content WHERE package_id = ANY($1::uuid[])`,
        [packageIds, COPIED_BODY_BYTES],
      );
      for (const r of rs) bodies.set(r.id, r.body ?? this.lazyBody(r.id));
    }
    if (receiptIds.length > 0) {
      const rs = await this.sql.rows<{ id: string; body: Buffer }>(
        `SELECT id, body FROM receipt WHERE id = ANY($1::uuid[])`,
        [receiptIds],
      );
      for (const r of rs) bodies.set(r.id, r.body);
    }
    return claimed.map((row) => ({
      id: String(row.id),
      record: {
        destination: row.destination,
        // The outbox holds the broker channel's messages only: pull inbox items are written by
        // the transaction that decides them.
        channel: 'broker',
        messageType: row.message_type,
        messageId: row.message_id,
        lane: row.lane,
        packageId: row.package_id ?? undefined,
        receiptId: row.receipt_id ?? undefined,
        headers: row.headers,
      },
      body: row.body ?? bodies.get((row.package_id ?? row.receipt_id)!) ?? Buffer.alloc(0),
      // claimDue counted this attempt already
      attempts: Math.max(0, row.attempts - 1),
    }));
  }

  private lazyBody(packageId: string): () => Promise<Uint8Array> {
    let read: Promise<Uint8Array> | null = null;
    return () =>
      (read ??= readPackageContent(this.db, packageId).then((body) => {
        if (!body) throw new Error(`package ${packageId} has no stored content`);
        return body;
      }));
  }

  async markPublished(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.sql.exec(`DELETE FROM outbox WHERE id = ANY($1::bigint[])`, [ids]);
  }

  /**
   * Puts a claimed row back for later. `attempted: false` (its destination was paused, nothing was
   * sent) gives back the attempt claimDue counted, so waiting out a pause does not grow its backoff.
   */
  async reschedule(id: string, delaySeconds: number, error: string, attempted = true): Promise<void> {
    await this.sql.exec(
      `UPDATE outbox SET available_at = now() + make_interval(secs => $2), last_error = $3,
              attempts = CASE WHEN $4 THEN attempts ELSE greatest(attempts - 1, 0) END
        WHERE id = $1`,
      [id, delaySeconds, error.slice(0, 1000), attempted],
    );
  }

  /**
   * A destination works again: its rows waiting out a backoff are due now. Rows due within one
   * lease may be in another process's hands (a claim sets exactly now() + lease): left alone.
   */
  async releaseDeferred(destination: string, leaseSeconds: number): Promise<number> {
    const rows = await this.sql.rows<{ id: string }>(
      `UPDATE outbox SET available_at = now()
        WHERE destination = $1 AND last_error IS NOT NULL
          AND available_at > now() + make_interval(secs => $2)
        RETURNING id`,
      [destination, leaseSeconds],
    );
    return rows.length;
  }

  async pendingCount(): Promise<{ count: number; oldestSeconds: number }> {
    const row = await this.sql.one<{ count: number; oldest: number }>(
      `SELECT count(*)::int AS count, coalesce(extract(epoch FROM now() - min(created_at)), 0)::float AS oldest FROM outbox`,
    );
    return { count: row?.count ?? 0, oldestSeconds: row?.oldest ?? 0 };
  }
}
