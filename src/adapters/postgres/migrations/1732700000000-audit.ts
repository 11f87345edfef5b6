import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Tables whose new rows are audit events, and how each becomes one. */
const SOURCES: Array<{
  table: string;
  kind: string;
  parties: string;
  packageId: string;
  actor: string;
  detail: string;
  at: string;
}> = [
  {
    table: 'trace_event',
    kind: `'delivery.' || NEW.event`,
    parties: `array_remove(ARRAY[(SELECT sender FROM package WHERE id = NEW.package_id), NEW.recipient], NULL)`,
    packageId: 'NEW.package_id',
    actor: 'NEW.source',
    detail: `jsonb_strip_nulls(jsonb_build_object('statusCode', NEW.status_code, 'sourcePackageId', NEW.source_package_id, 'detail', NEW.detail))`,
    at: 'NEW.at',
  },
  {
    table: 'receipt',
    kind: `'receipt.' || NEW.outcome`,
    parties: 'ARRAY[NEW.recipient]',
    packageId: 'NEW.package_id',
    actor: `'bus'`,
    detail: `jsonb_strip_nulls(jsonb_build_object('receiptId', NEW.id, 'reasonCode', NEW.reason_code, 'quarantineId', NEW.quarantine_id))`,
    at: 'NEW.issued_at',
  },
  {
    table: 'quarantine',
    kind: `'package.refused'`,
    parties: `array_remove(ARRAY[NEW.authenticated_sender, NULLIF(NEW.claimed_sender, NEW.authenticated_sender)], NULL)`,
    packageId: 'NULL::uuid',
    actor: `coalesce(NEW.authenticated_sender, 'unauthenticated')`,
    detail: `jsonb_strip_nulls(jsonb_build_object('quarantineId', NEW.id, 'reasonCode', NEW.reason_code, 'transport', NEW.transport, 'messageType', NEW.message_type, 'documentId', NEW.document_id, 'sha256', encode(NEW.sha256, 'hex')))`,
    at: 'NEW.received_at',
  },
  {
    table: 'endpoint_change',
    kind: `'endpoint.' || NEW.action`,
    parties: 'ARRAY[NEW.organ_id]',
    packageId: 'NULL::uuid',
    actor: 'NEW.actor',
    detail: `jsonb_strip_nulls(jsonb_build_object('reason', NEW.reason))`,
    at: 'NEW.at',
  },
  {
    table: 'dead_letter_redelivery',
    kind: `'dead-letter.redelivered'`,
    parties: `array_remove(ARRAY[(SELECT user_id FROM dead_letter WHERE id = NEW.dead_letter_id)], NULL)`,
    packageId: 'NULL::uuid',
    actor: 'NEW.actor',
    detail: `jsonb_build_object('deadLetterId', NEW.dead_letter_id, 'reason', NEW.reason, 'queue', (SELECT queue FROM dead_letter WHERE id = NEW.dead_letter_id))`,
    at: 'NEW.at',
  },
  {
    table: 'bridge_refusal',
    kind: `'bridge.refused'`,
    parties: `array_remove(ARRAY[NEW.claimed], NULL)`,
    packageId: 'NULL::uuid',
    actor: `coalesce(NEW.claimed, 'anonymous')`,
    detail: `jsonb_strip_nulls(jsonb_build_object('transport', NEW.transport, 'operation', NEW.operation, 'code', NEW.code, 'reason', NEW.reason, 'remote', NEW.remote))`,
    at: 'NEW.at',
  },
];

/**
 * One audit log for every state change, receipt, refusal, redelivery and endpoint change. Triggers
 * on the tables that record them write `audit_pending` in the same transaction (nothing recorded
 * escapes the audit, and writers stay parallel); the bus's sealer then appends them, in order, to
 * the hash-chained `audit_log`, partitioned by month. The database refuses to change or delete
 * sealed entries and checkpoints.
 */
export class Audit1732700000000 implements MigrationInterface {
  name = 'Audit1732700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE audit_pending (
        id          bigserial PRIMARY KEY,
        at          timestamptz NOT NULL,
        kind        text NOT NULL,
        parties     text[] NOT NULL,
        package_id  uuid,
        actor       text NOT NULL,
        detail      jsonb NOT NULL
      )`);
    await q.query(`
      CREATE TABLE audit_log (
        seq           bigint NOT NULL,
        at            timestamptz NOT NULL,
        kind          text NOT NULL,
        parties       text[] NOT NULL,
        package_id    uuid,
        actor         text NOT NULL,
        detail        jsonb NOT NULL,
        entry_digest  bytea NOT NULL,
        hash          bytea NOT NULL,
        sealed_at     timestamptz NOT NULL,
        PRIMARY KEY (seq, at)
      ) PARTITION BY RANGE (at)`);
    await q.query(`CREATE INDEX audit_log_seq_idx ON audit_log (seq)`);
    await q.query(`CREATE INDEX audit_log_parties_idx ON audit_log USING gin (parties)`);
    await q.query(
      `CREATE INDEX audit_log_package_idx ON audit_log (package_id) WHERE package_id IS NOT NULL`,
    );
    await q.query(`
      CREATE TABLE audit_head (
        id        boolean PRIMARY KEY DEFAULT true CHECK (id),
        seq       bigint NOT NULL,
        hash      bytea NOT NULL
      )`);
    await q.query(`
      CREATE TABLE audit_checkpoint (
        seq          bigint PRIMARY KEY,
        hash         bytea NOT NULL,
        at           timestamptz NOT NULL,
        algorithm    text NOT NULL,
        signature    bytea NOT NULL,
        certificate  text NOT NULL
      )`);
    await q.query(`
      CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION '% is append-only: audit entries are never changed or deleted', TG_TABLE_NAME
          USING ERRCODE = 'insufficient_privilege';
      END $$`);
    for (const table of ['audit_log', 'audit_checkpoint']) {
      await q.query(
        `CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()`,
      );
      await q.query(
        `CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()`,
      );
    }
    for (const s of SOURCES) {
      await q.query(`
        CREATE FUNCTION audit_from_${s.table}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          INSERT INTO audit_pending (at, kind, parties, package_id, actor, detail)
          VALUES (${s.at}, ${s.kind}, ${s.parties}, ${s.packageId}, ${s.actor}, ${s.detail});
          RETURN NULL;
        END $$`);
      await q.query(
        `CREATE TRIGGER ${s.table}_audit AFTER INSERT ON ${s.table} FOR EACH ROW EXECUTE FUNCTION audit_from_${s.table}()`,
      );
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const s of SOURCES) {
      await q.query(`DROP TRIGGER IF EXISTS ${s.table}_audit ON ${s.table}`);
      await q.query(`DROP FUNCTION IF EXISTS audit_from_${s.table}()`);
    }
    for (const t of ['audit_checkpoint', 'audit_head', 'audit_log', 'audit_pending'])
      await q.query(`DROP TABLE IF EXISTS ${t}`);
    await q.query(`DROP FUNCTION IF EXISTS audit_refuse_change()`);
  }
}
