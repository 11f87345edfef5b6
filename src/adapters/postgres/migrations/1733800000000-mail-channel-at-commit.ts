import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A message's channel is decided when it is committed: the outbox holds broker mail only, and mail
 * for endpoints that poll is written into their pull inbox by the same transaction. Rows a bus of
 * the earlier version left in the outbox for bridge endpoints are moved into those inboxes here,
 * as the relay would have moved them (a withdrawal hides the recalled copy's item).
 *
 * A dead letter records the channel it died in, which decides where a redelivery puts it back
 * (before: whether its queue's name started with `pull.`).
 */
export class MailChannelAtCommit1733800000000 implements MigrationInterface {
  name = 'MailChannelAtCommit1733800000000';

  async up(q: QueryRunner): Promise<void> {
    const bridged = `o.destination IN (SELECT organ_id FROM endpoint WHERE transport = 'bridge')`;
    await q.query(`
      INSERT INTO pull_item (endpoint, message_type, message_id, package_id, receipt_id, body, headers, lane, created_at)
      SELECT o.destination, o.message_type, o.message_id, o.package_id, o.receipt_id,
             CASE WHEN o.package_id IS NULL AND o.receipt_id IS NULL THEN o.body END, o.headers, o.lane, o.created_at
        FROM outbox o
       WHERE ${bridged} AND o.message_type IN ('edoc', 'status', 'receipt')
       ORDER BY o.id
      ON CONFLICT (endpoint, message_id) DO NOTHING`);
    await q.query(`
      UPDATE pull_item i SET state = 'withdrawn', settled_at = now()
        FROM outbox o
       WHERE ${bridged} AND o.message_type = 'withdrawal'
         AND i.endpoint = o.destination AND i.package_id = (o.headers ->> 'x-edoc-bus-id')::uuid
         AND i.message_type = 'edoc' AND i.state = 'pending'`);
    await q.query(`DELETE FROM outbox o WHERE ${bridged}`);

    await q.query(`ALTER TABLE dead_letter ADD COLUMN channel text NOT NULL DEFAULT 'broker'
                     CHECK (channel IN ('broker', 'pull'))`);
    await q.query(`UPDATE dead_letter SET channel = 'pull' WHERE queue LIKE 'pull.%'`);
    await q.query(`ALTER TABLE dead_letter ALTER COLUMN channel DROP DEFAULT`);
  }

  async down(q: QueryRunner): Promise<void> {
    // Pull items stay where they are: a bus of the earlier version reads them the same way.
    await q.query(`ALTER TABLE dead_letter DROP COLUMN channel`);
  }
}
