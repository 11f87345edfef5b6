import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The months moved to the archive (`edoc-bus archive run`): where each set is, the digest of its
 * signed manifest (also an audit entry), and what it holds. A month listed here is no longer in
 * the partitioned tables; `package_register.archive_set` names it for each of its packages.
 */
export class Archive1733300000000 implements MigrationInterface {
  name = 'Archive1733300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE archived_month (
        month            text PRIMARY KEY CHECK (month ~ '^[0-9]{4}-[0-9]{2}$'),
        location         text NOT NULL,
        manifest_sha256  text NOT NULL,
        packages         integer NOT NULL,
        bytes            bigint NOT NULL,
        archived_at      timestamptz NOT NULL,
        -- Set by archive purge past RETENTION_TOTAL_YEARS: the set is deleted, this row stays.
        purged_at        timestamptz
      )`);
    // A month restored from its set is there to be read: its partitions refuse every change (not as
    // 25006, which the bus takes for a failover and retries).
    await q.query(`
      CREATE FUNCTION edoc_refuse_archived_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION '% holds a month restored from the archive: it is read-only', TG_TABLE_NAME
          USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(
      `CREATE INDEX package_register_archived_idx ON package_register (archive_set) WHERE archive_set IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX package_register_archived_idx`);
    await q.query(`DROP TABLE archived_month`);
    await q.query(`DROP FUNCTION edoc_refuse_archived_change()`);
  }
}
