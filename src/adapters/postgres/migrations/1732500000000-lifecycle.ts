import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The delivery lifecycle: per-copy change requests (recall, update, replacement) and their
 * answers, urgency and deadlines, flags on trace events,
 * receipts that are notices (withdrawn, overdue), and dead letters kept in the database so
 * operators can inspect and redeliver them.
 */
export class Lifecycle1732500000000 implements MigrationInterface {
  name = 'Lifecycle1732500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE delivery
        ADD COLUMN priority smallint NOT NULL DEFAULT 0,
        ADD COLUMN delivered_at timestamptz,
        ADD COLUMN change_kind text CHECK (change_kind IN ('recall', 'update', 'replacement')),
        ADD COLUMN change_state text CHECK (change_state IN ('requested', 'agreed', 'refused', 'withdrawn')),
        ADD COLUMN change_package_id uuid REFERENCES package (id),
        ADD COLUMN arrival_due_at timestamptz,
        ADD COLUMN decision_due_at timestamptz,
        ADD COLUMN overdue text CHECK (overdue IN ('arrival', 'decision')),
        ADD COLUMN overdue_notified_at timestamptz`);
    // The deadline sweep looks only at copies still waiting for an answer.
    await q.query(
      `CREATE INDEX delivery_arrival_due_idx ON delivery (arrival_due_at) WHERE state IN ('queued', 'delivered')`,
    );
    await q.query(
      `CREATE INDEX delivery_decision_due_idx ON delivery (decision_due_at) WHERE state IN ('queued', 'delivered', 'arrived')`,
    );
    await q.query(
      `CREATE INDEX delivery_waiting_idx ON delivery (recipient, created_at) WHERE state = 'queued'`,
    );
    await q.query(`
      ALTER TABLE trace_event
        ADD COLUMN state_before text,
        ADD COLUMN state_after text,
        ADD COLUMN flag text`);
    await q.query(`ALTER TABLE receipt DROP CONSTRAINT receipt_outcome_check`);
    await q.query(
      `ALTER TABLE receipt ADD CONSTRAINT receipt_outcome_check CHECK (outcome IN ('accepted', 'duplicate', 'rejected', 'withdrawn', 'overdue'))`,
    );
    await q.query(`ALTER TABLE outbox DROP CONSTRAINT outbox_message_type_check`);
    await q.query(
      `ALTER TABLE outbox ADD CONSTRAINT outbox_message_type_check CHECK (message_type IN ('edoc', 'status', 'receipt', 'withdrawal', 'trace'))`,
    );
    await q.query(
      `ALTER TABLE outbox ADD COLUMN lane text NOT NULL DEFAULT 'normal' CHECK (lane IN ('normal', 'urgent'))`,
    );
    await q.query(`ALTER TABLE outbox ADD COLUMN body bytea`);
    await q.query(`ALTER TABLE outbox DROP CONSTRAINT outbox_check`);
    await q.query(
      `ALTER TABLE outbox ADD CONSTRAINT outbox_body_check CHECK (num_nonnulls(package_id, receipt_id, body) = 1)`,
    );

    await q.query(`
      CREATE TABLE dead_letter (
        id             uuid PRIMARY KEY,
        fingerprint    text NOT NULL UNIQUE,
        queue          text NOT NULL,
        reason         text NOT NULL,
        message_id     text,
        message_type   text,
        user_id        text,
        headers        jsonb NOT NULL,
        body           bytea NOT NULL,
        dead_at        timestamptz NOT NULL,
        redelivered_at timestamptz
      )`);
    await q.query(`CREATE INDEX dead_letter_dead_at_idx ON dead_letter (dead_at)`);
    await q.query(`
      CREATE TABLE dead_letter_redelivery (
        id              bigserial PRIMARY KEY,
        dead_letter_id  uuid NOT NULL REFERENCES dead_letter (id),
        actor           text NOT NULL,
        reason          text NOT NULL,
        at              timestamptz NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS dead_letter_redelivery`);
    await q.query(`DROP TABLE IF EXISTS dead_letter`);
    await q.query(`ALTER TABLE outbox DROP CONSTRAINT outbox_body_check`);
    await q.query(`DELETE FROM outbox WHERE body IS NOT NULL`);
    await q.query(`ALTER TABLE outbox DROP COLUMN body, DROP COLUMN lane`);
    await q.query(
      `ALTER TABLE outbox ADD CONSTRAINT outbox_check CHECK ((package_id IS NULL) <> (receipt_id IS NULL))`,
    );
    await q.query(`ALTER TABLE outbox DROP CONSTRAINT outbox_message_type_check`);
    await q.query(`DELETE FROM outbox WHERE message_type NOT IN ('edoc', 'status', 'receipt')`);
    await q.query(
      `ALTER TABLE outbox ADD CONSTRAINT outbox_message_type_check CHECK (message_type IN ('edoc', 'status', 'receipt'))`,
    );
    await q.query(`ALTER TABLE receipt DROP CONSTRAINT receipt_outcome_check`);
    await q.query(
      `DELETE FROM outbox WHERE receipt_id IN (SELECT id FROM receipt WHERE outcome IN ('withdrawn', 'overdue'))`,
    );
    await q.query(`DELETE FROM receipt WHERE outcome IN ('withdrawn', 'overdue')`);
    await q.query(
      `ALTER TABLE receipt ADD CONSTRAINT receipt_outcome_check CHECK (outcome IN ('accepted', 'duplicate', 'rejected'))`,
    );
    await q.query(
      `ALTER TABLE trace_event DROP COLUMN state_before, DROP COLUMN state_after, DROP COLUMN flag`,
    );
    await q.query(`
      ALTER TABLE delivery
        DROP COLUMN priority, DROP COLUMN delivered_at, DROP COLUMN change_kind, DROP COLUMN change_state,
        DROP COLUMN change_package_id, DROP COLUMN arrival_due_at, DROP COLUMN decision_due_at,
        DROP COLUMN overdue, DROP COLUMN overdue_notified_at`);
  }
}
