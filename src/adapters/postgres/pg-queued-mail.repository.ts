import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Transport } from '../../modules/registry/domain/endpoint';
import { QueuedMail } from '../../modules/registry/queued-mail.port';
import { Sql } from './sql';
import { insertNotices } from './write-fragments';
import type { OutboxRecord } from '../../modules/delivery/delivery-records';

/**
 * Moves an endpoint's waiting mail between the outbox (broker channel) and its pull inbox, in one
 * transaction (what its broker queue holds is drained by the broker's side: see app's wiring). A message the relay is publishing at that moment may also reach the broker inbox
 * it left: the recipient gets it twice under the same bus id, never not at all.
 */
@Injectable()
export class PgQueuedMail extends QueuedMail {
  constructor(private readonly db: DataSource) {
    super();
  }

  /** Writes pull-channel mail taken from elsewhere (a drained broker inbox) into the pull inboxes. */
  async keepInPullInbox(mail: OutboxRecord[]): Promise<void> {
    if (mail.some((m) => m.channel !== 'pull'))
      throw new Error('only pull-channel mail goes to a pull inbox');
    await insertNotices(new Sql(this.db), 0, { receipt: null, outbox: mail, traceEvents: [] });
  }

  async rehome(organId: string, transport: Transport): Promise<number> {
    return this.db.transaction(async (m) => {
      const sql = new Sql(m);
      if (transport === 'bridge') {
        const moved = await sql.rows<{ id: string }>(
          `WITH taken AS (
             DELETE FROM outbox WHERE destination = $1 RETURNING *
           ), items AS (
             INSERT INTO pull_item (endpoint, message_type, message_id, package_id, receipt_id, body, headers, lane, created_at)
             SELECT destination, message_type, message_id, package_id, receipt_id,
                    CASE WHEN package_id IS NULL AND receipt_id IS NULL THEN body END, headers, lane, created_at
               FROM taken WHERE message_type IN ('edoc', 'status', 'receipt')
             ON CONFLICT (endpoint, message_id) DO NOTHING
           ), withdrawn AS (
             UPDATE pull_item i SET state = 'withdrawn', settled_at = now()
               FROM taken t
              WHERE t.message_type = 'withdrawal' AND i.endpoint = t.destination
                AND i.package_id = (t.headers ->> 'x-edoc-bus-id')::uuid AND i.message_type = 'edoc' AND i.state = 'pending'
           )
           SELECT id FROM taken`,
          [organId],
        );
        return moved.length;
      }
      const moved = await sql.rows<{ id: string }>(
        `WITH taken AS (
           DELETE FROM pull_item WHERE endpoint = $1 AND state = 'pending' RETURNING *
         ), rows AS (
           INSERT INTO outbox (destination, message_type, message_id, lane, package_id, receipt_id, body, headers, created_at, available_at)
           SELECT endpoint, message_type, message_id, lane, package_id, receipt_id, body, headers, created_at, now()
             FROM taken ORDER BY id
         )
         SELECT id FROM taken`,
        [organId],
      );
      return moved.length;
    });
  }
}
