import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Whether a package's month is archived follows from its id (UUIDv7: the month it was accepted)
 * and `archived_month`; the register no longer keeps it per row. Archiving a month of national
 * traffic marked some 7.8 million register rows (600,000 documents and their status packages) in
 * the transaction that detaches it — gigabytes of WAL, and a register twice its size after
 * (bench:storage: 3.6 KiB per document before the archive, 6.6 after).
 *
 * What the register lacks for an archived document, its recipients, is written once as the month
 * leaves (`archived_recipients`, one row per document): who got it is answered without a restore.
 */
export class ArchiveByMonth1733500000000 implements MigrationInterface {
  name = 'ArchiveByMonth1733500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION edoc_month_key(id uuid) RETURNS text
        LANGUAGE sql STABLE PARALLEL SAFE AS $$
          SELECT to_char(edoc_uuid7_time(id) AT TIME ZONE 'UTC', 'YYYY-MM')
        $$`);
    await q.query(`DROP INDEX package_register_archived_idx`);
    await q.query(`
      CREATE TABLE archived_recipients (
        package_id  uuid PRIMARY KEY,
        recipients  text[] NOT NULL
      )`);
    await q.query(`ALTER TABLE package_register DROP COLUMN archive_set`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE archived_recipients`);
    await q.query(`ALTER TABLE package_register ADD COLUMN archive_set text`);
    await q.query(
      `UPDATE package_register r SET archive_set = a.month FROM archived_month a
        WHERE a.month = edoc_month_key(r.package_id)`,
    );
    await q.query(
      `CREATE INDEX package_register_archived_idx ON package_register (archive_set) WHERE archive_set IS NOT NULL`,
    );
    await q.query(`DROP FUNCTION edoc_month_key(uuid)`);
  }
}
