import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type {
  DeadLetter,
  DeadLetterDetail,
  DeadLetterSummary,
  MessageProperties,
  Redelivery,
} from '../../modules/dead-letters/dead-letter';
import {
  DeadLetterRepository,
  type DeadLetterFilter,
} from '../../modules/dead-letters/dead-letter-repository.port';
import { Sql } from './sql';

interface LetterRow {
  id: string;
  fingerprint: string;
  queue: string;
  channel: DeadLetter['channel'];
  reason: string;
  message_id: string | null;
  message_type: string | null;
  user_id: string | null;
  properties: MessageProperties;
  headers: Record<string, unknown>;
  body: Buffer;
  dead_at: Date;
}

@Injectable()
export class PgDeadLetterRepository extends DeadLetterRepository {
  private readonly sql: Sql;

  constructor(private readonly db: DataSource) {
    super();
    this.sql = new Sql(db);
  }

  async record(l: DeadLetter): Promise<boolean> {
    const rows = await this.sql.rows<{ id: string }>(
      `INSERT INTO dead_letter (id, fingerprint, queue, reason, message_id, message_type, user_id, headers, body, dead_at, properties, channel)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11::jsonb, $12)
       ON CONFLICT (fingerprint) DO NOTHING RETURNING id`,
      [
        l.id,
        l.fingerprint,
        l.queue,
        l.reason,
        l.messageId,
        l.messageType,
        l.userId,
        JSON.stringify(l.headers),
        Buffer.from(l.body),
        l.deadAt,
        JSON.stringify(l.properties),
        l.channel,
      ],
    );
    return rows.length > 0;
  }

  async list(filter: DeadLetterFilter): Promise<DeadLetterSummary[]> {
    const rows = await this.sql.rows<{
      id: string;
      queue: string;
      reason: string;
      message_id: string | null;
      message_type: string | null;
      user_id: string | null;
      size: number;
      dead_at: Date;
      redeliveries: number;
      last_at: Date | null;
    }>(
      `SELECT d.id, d.queue, d.reason, d.message_id, d.message_type, d.user_id, length(d.body) AS size, d.dead_at,
              count(r.id)::int AS redeliveries, max(r.at) AS last_at
         FROM dead_letter d LEFT JOIN dead_letter_redelivery r ON r.dead_letter_id = d.id
        WHERE ($1::text IS NULL OR d.queue = $1) AND (NOT $2 OR d.redelivered_at IS NULL)
        GROUP BY d.id
        ORDER BY d.dead_at DESC
        LIMIT $3`,
      [filter.queue ?? null, filter.pendingOnly ?? false, filter.limit],
    );
    return rows.map((r) => ({
      id: r.id,
      queue: r.queue,
      reason: r.reason,
      messageId: r.message_id,
      messageType: r.message_type,
      userId: r.user_id,
      size: r.size,
      deadAt: r.dead_at,
      redeliveries: r.redeliveries,
      lastRedeliveredAt: r.last_at,
    }));
  }

  async find(id: string): Promise<DeadLetterDetail | null> {
    const row = await this.sql.one<LetterRow>(`SELECT * FROM dead_letter WHERE id = $1`, [id]);
    if (!row) return null;
    const redeliveries = await this.sql.rows<Redelivery>(
      `SELECT actor, reason, at FROM dead_letter_redelivery WHERE dead_letter_id = $1 ORDER BY id`,
      [id],
    );
    return {
      id: row.id,
      fingerprint: row.fingerprint,
      queue: row.queue,
      channel: row.channel,
      reason: row.reason,
      messageId: row.message_id,
      messageType: row.message_type,
      userId: row.user_id,
      properties: row.properties,
      headers: row.headers,
      body: row.body,
      deadAt: row.dead_at,
      redeliveries,
    };
  }

  async recordRedelivery(id: string, r: Redelivery, republish: () => Promise<void>): Promise<void> {
    await this.db.transaction(async (m) => {
      const sql = new Sql(m);
      await sql.exec(
        `INSERT INTO dead_letter_redelivery (dead_letter_id, actor, reason, at) VALUES ($1, $2, $3, $4)`,
        [id, r.actor, r.reason, r.at],
      );
      await sql.exec(`UPDATE dead_letter SET redelivered_at = $2 WHERE id = $1`, [id, r.at]);
      await republish();
    });
  }
}
