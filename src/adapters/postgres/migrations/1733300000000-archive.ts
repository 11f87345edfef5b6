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
        archived_at      timestamptz NOT NULL
      )`);
    await q.query(
      `CREATE INDEX package_register_archived_idx ON package_register (archive_set) WHERE archive_set IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX package_register_archived_idx`);
    await q.query(`DROP TABLE archived_month`);
  }
}
