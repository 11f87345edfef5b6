import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The console's endpoints page asks for each sender's last package. Over monthly partitions a
 * loose scan of `package (sender, accepted_at)` descends every month's index for every sender;
 * the register is one table whose UUIDv7 key is the time of acceptance, so one descent per sender
 * answers it — and for a sender quiet since a month now archived too. The partitions' index, used
 * for nothing else, goes: one index more on the register, one less on every month's packages.
 */
export class RegisterSenderIndex1733400000000 implements MigrationInterface {
  name = 'RegisterSenderIndex1733400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX package_register_sender_idx ON package_register (sender, package_id)`);
    await q.query(`DROP INDEX package_sender_accepted_idx`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX package_sender_accepted_idx ON package (sender, accepted_at DESC)`);
    await q.query(`DROP INDEX package_register_sender_idx`);
  }
}
