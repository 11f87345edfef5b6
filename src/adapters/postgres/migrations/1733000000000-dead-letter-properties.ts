import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A dead letter keeps the message's AMQP properties (content type, application id, correlation
 * id…) so that a redelivery is the original message and not a copy without them.
 */
export class DeadLetterProperties1733000000000 implements MigrationInterface {
  name = 'DeadLetterProperties1733000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE dead_letter ADD COLUMN properties jsonb NOT NULL DEFAULT '{}'::jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE dead_letter DROP COLUMN properties`);
  }
}
