import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A document's changes (recall, update, replacement) are found from the register: each change's
 * row names the original it changes. A trace or a timeline then asks one small index instead of
 * every month since the original (a change may come months later, so no month can be skipped),
 * and the packages' own index of it, read by nothing else, goes from every month.
 */
export class RegisterChanges1733700000000 implements MigrationInterface {
  name = 'RegisterChanges1733700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE package_register ADD COLUMN related_package_id uuid`);
    await q.query(
      `UPDATE package_register r SET related_package_id = p.related_package_id
         FROM package p
        WHERE p.id = r.package_id AND p.kind = 'edoc' AND p.related_package_id IS NOT NULL`,
    );
    await q.query(
      `CREATE INDEX package_register_changes_idx ON package_register (related_package_id)
        WHERE related_package_id IS NOT NULL`,
    );
    await q.query(`DROP INDEX package_related_idx`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX package_related_idx ON package (related_package_id) WHERE related_package_id IS NOT NULL`,
    );
    await q.query(`DROP INDEX package_register_changes_idx`);
    await q.query(`ALTER TABLE package_register DROP COLUMN related_package_id`);
  }
}
