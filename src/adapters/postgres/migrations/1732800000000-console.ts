import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Console users (scrypt password hashes, roles, lockout), their sessions (only a hash of the
 * session id is stored), and logins — which, like every other recorded event, go to the audit log.
 */
export class Console1732800000000 implements MigrationInterface {
  name = 'Console1732800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE console_user (
        username         text PRIMARY KEY,
        password_hash    text NOT NULL,
        role             text NOT NULL CHECK (role IN ('admin', 'operator', 'auditor')),
        failed_attempts  integer NOT NULL DEFAULT 0,
        locked_until     timestamptz,
        created_at       timestamptz NOT NULL
      )`);
    await q.query(`
      CREATE TABLE console_session (
        id_hash     text PRIMARY KEY,
        username    text NOT NULL REFERENCES console_user (username),
        csrf_token  text NOT NULL,
        created_at  timestamptz NOT NULL,
        expires_at  timestamptz NOT NULL
      )`);
    await q.query(`
      CREATE TABLE console_login (
        id        bigserial PRIMARY KEY,
        at        timestamptz NOT NULL,
        username  text NOT NULL,
        outcome   text NOT NULL,
        remote    text
      )`);
    await q.query(`
      CREATE FUNCTION audit_from_console_login() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO audit_pending (at, kind, parties, package_id, actor, detail)
        VALUES (NEW.at, 'console.login.' || NEW.outcome, '{}', NULL, NEW.username,
                jsonb_strip_nulls(jsonb_build_object('remote', NEW.remote)));
        RETURN NULL;
      END $$`);
    await q.query(
      `CREATE TRIGGER console_login_audit AFTER INSERT ON console_login FOR EACH ROW EXECUTE FUNCTION audit_from_console_login()`,
    );
    await q.query(`
      CREATE TABLE console_action (
        id        bigserial PRIMARY KEY,
        at        timestamptz NOT NULL,
        username  text NOT NULL,
        action    text NOT NULL,
        detail    jsonb NOT NULL
      )`);
    await q.query(`
      CREATE FUNCTION audit_from_console_action() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO audit_pending (at, kind, parties, package_id, actor, detail)
        VALUES (NEW.at, 'console.' || NEW.action, '{}', NULL, NEW.username, NEW.detail);
        RETURN NULL;
      END $$`);
    await q.query(
      `CREATE TRIGGER console_action_audit AFTER INSERT ON console_action FOR EACH ROW EXECUTE FUNCTION audit_from_console_action()`,
    );
    // The delivery log's searches: newest first, by sender, by recipient, by words of the subject.
    await q.query(`CREATE INDEX delivery_created_idx ON delivery (created_at DESC, package_id, recipient)`);
    await q.query(`CREATE INDEX package_sender_accepted_idx ON package (sender, accepted_at DESC)`);
    await q.query(`CREATE INDEX package_document_id_idx ON package (document_id)`);
    await q.query(`CREATE EXTENSION IF NOT EXISTS pg_trgm`);
    await q.query(`CREATE INDEX package_subject_trgm_idx ON package USING gin (subject gin_trgm_ops)`);
    // The overview: the last day's receipts, and copies still unanswered (the backlog,
    // small next to the history: its cost follows the backlog, not the ten years behind it).
    await q.query(`CREATE INDEX receipt_issued_idx ON receipt (issued_at)`);
    await q.query(
      `CREATE INDEX delivery_unanswered_idx ON delivery (recipient, created_at) WHERE state IN ('queued', 'delivered', 'arrived')`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const index of [
      'delivery_waiting_idx',
      'receipt_issued_idx',
      'package_accepted_idx',
      'package_subject_trgm_idx',
    ])
      await q.query(`DROP INDEX IF EXISTS ${index}`);
    await q.query(`DROP INDEX IF EXISTS package_document_id_idx`);
    await q.query(`DROP INDEX IF EXISTS package_sender_accepted_idx`);
    await q.query(`DROP INDEX IF EXISTS delivery_created_idx`);
    await q.query(`DROP TRIGGER IF EXISTS console_action_audit ON console_action`);
    await q.query(`DROP FUNCTION IF EXISTS audit_from_console_action()`);
    await q.query(`DROP TABLE IF EXISTS console_action`);
    await q.query(`DROP TRIGGER IF EXISTS console_login_audit ON console_login`);
    await q.query(`DROP FUNCTION IF EXISTS audit_from_console_login()`);
    for (const t of ['console_login', 'console_session', 'console_user'])
      await q.query(`DROP TABLE IF EXISTS ${t}`);
  }
}
