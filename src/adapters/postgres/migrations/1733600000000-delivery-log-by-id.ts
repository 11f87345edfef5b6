import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The console's delivery log is ordered by the document's bus id (UUIDv7: the moment it was
 * accepted), the key every month is partitioned by, instead of by the copy's created_at: the
 * newest page is then the tail of the newest month's primary key, read in order month after month
 * without merging thirty indexes, and a period is a range of ids with no margin. The index on
 * created_at goes (one index less on every month's copies); a recipient's copies are found by
 * (recipient, package_id).
 *
 * Two indexes of every month's packages that nothing reads any more go too: by accepted_at (the
 * overview's last day is a range of ids) and by DocumentId (every lookup by DocumentId goes
 * through the register). Fewer indexes per partition: less to write per document, less to plan.
 */
export class DeliveryLogById1733600000000 implements MigrationInterface {
  name = 'DeliveryLogById1733600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX delivery_created_idx`);
    await q.query(`DROP INDEX delivery_recipient_idx`);
    await q.query(`CREATE INDEX delivery_recipient_idx ON delivery (recipient, package_id)`);
    await q.query(`DROP INDEX package_accepted_idx`);
    await q.query(`DROP INDEX package_document_id_idx`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX package_document_id_idx ON package (document_id)`);
    await q.query(`CREATE INDEX package_accepted_idx ON package (accepted_at)`);
    await q.query(`DROP INDEX delivery_recipient_idx`);
    await q.query(`CREATE INDEX delivery_recipient_idx ON delivery (recipient, created_at)`);
    await q.query(`CREATE INDEX delivery_created_idx ON delivery (created_at DESC, package_id, recipient)`);
  }
}
