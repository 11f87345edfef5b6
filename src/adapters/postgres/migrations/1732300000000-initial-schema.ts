import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The spine's schema. Written as SQL on purpose: partial unique indexes (the idempotency keys),
 * check constraints and, later, partitions and triggers are not TypeORM's to generate.
 */
export class InitialSchema1732300000000 implements MigrationInterface {
  name = 'InitialSchema1732300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE endpoint (
        organ_id        text PRIMARY KEY,
        code_qd20       text,
        name            text NOT NULL,
        category        text NOT NULL,
        transport       text NOT NULL CHECK (transport IN ('amqp', 'bridge')),
        status          text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'locked', 'closed')),
        status_reason   text,
        broker_user     text,
        provisioned_at  timestamptz,
        created_at      timestamptz NOT NULL DEFAULT now(),
        updated_at      timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(
      `CREATE UNIQUE INDEX endpoint_code_qd20_key ON endpoint (code_qd20) WHERE code_qd20 IS NOT NULL`,
    );

    await q.query(`
      CREATE TABLE organ_alias (
        closed_code     text PRIMARY KEY,
        successor_code  text NOT NULL REFERENCES endpoint (organ_id),
        effective_from  date,
        reason          text,
        created_at      timestamptz NOT NULL DEFAULT now()
      )`);

    // operator changes to the registry, until the audit log takes them over
    await q.query(`
      CREATE TABLE endpoint_change (
        id        bigserial PRIMARY KEY,
        organ_id  text NOT NULL,
        action    text NOT NULL,
        actor     text NOT NULL,
        reason    text,
        at        timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX endpoint_change_organ_idx ON endpoint_change (organ_id, at)`);

    await q.query(`
      CREATE TABLE package (
        id                    uuid PRIMARY KEY,
        kind                  text NOT NULL CHECK (kind IN ('edoc', 'status')),
        sender                text NOT NULL,
        document_id           text NOT NULL,
        business_doc_type     smallint,
        status_code           text,
        related_package_id    uuid REFERENCES package (id),
        sha256                bytea NOT NULL,
        size_bytes            integer NOT NULL,
        transport             text NOT NULL,
        transport_message_id  text,
        subject               text,
        code_number           text,
        code_notation         text,
        priority              smallint,
        received_at           timestamptz NOT NULL,
        accepted_at           timestamptz NOT NULL
      )`);
    // The idempotency keys: a document is (sender, DocumentId, business type); a status is its bytes.
    await q.query(
      `CREATE UNIQUE INDEX package_edoc_key ON package (sender, document_id, business_doc_type) WHERE kind = 'edoc'`,
    );
    await q.query(`CREATE UNIQUE INDEX package_status_key ON package (sender, sha256) WHERE kind = 'status'`);
    await q.query(
      `CREATE INDEX package_transport_message_idx ON package (sender, transport_message_id) WHERE transport_message_id IS NOT NULL`,
    );
    await q.query(`CREATE INDEX package_accepted_idx ON package (accepted_at)`);
    await q.query(
      `CREATE INDEX package_related_idx ON package (related_package_id) WHERE related_package_id IS NOT NULL`,
    );

    await q.query(`
      CREATE TABLE package_content (
        package_id  uuid PRIMARY KEY REFERENCES package (id),
        body        bytea NOT NULL
      )`);

    await q.query(`
      CREATE TABLE delivery (
        package_id        uuid NOT NULL REFERENCES package (id),
        recipient         text NOT NULL,
        addressed_to      text NOT NULL,
        state             text NOT NULL,
        state_at          timestamptz NOT NULL,
        last_status_code  text,
        created_at        timestamptz NOT NULL,
        PRIMARY KEY (package_id, recipient)
      )`);
    await q.query(`CREATE INDEX delivery_recipient_idx ON delivery (recipient, created_at)`);

    await q.query(`
      CREATE TABLE trace_event (
        id                 bigserial PRIMARY KEY,
        package_id         uuid NOT NULL REFERENCES package (id),
        recipient          text,
        event              text NOT NULL,
        status_code        text,
        source             text NOT NULL,
        source_package_id  uuid,
        detail             jsonb,
        at                 timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX trace_event_package_idx ON trace_event (package_id, id)`);

    await q.query(`
      CREATE TABLE quarantine (
        id                    uuid PRIMARY KEY,
        received_at           timestamptz NOT NULL,
        transport             text NOT NULL,
        transport_message_id  text,
        authenticated_sender  text,
        claimed_sender        text,
        message_type          text,
        document_id           text,
        reason_code           text NOT NULL,
        reason_text           text NOT NULL,
        details               jsonb NOT NULL,
        sha256                bytea NOT NULL,
        size_bytes            integer NOT NULL,
        body                  bytea NOT NULL,
        body_truncated        boolean NOT NULL
      )`);
    await q.query(`CREATE INDEX quarantine_received_idx ON quarantine (received_at)`);
    await q.query(
      `CREATE INDEX quarantine_sender_idx ON quarantine (authenticated_sender, transport_message_id)`,
    );
    await q.query(`CREATE INDEX quarantine_reason_idx ON quarantine (reason_code, received_at)`);

    await q.query(`
      CREATE TABLE receipt (
        id             uuid PRIMARY KEY,
        recipient      text NOT NULL,
        package_id     uuid REFERENCES package (id),
        quarantine_id  uuid REFERENCES quarantine (id),
        outcome        text NOT NULL CHECK (outcome IN ('accepted', 'duplicate', 'rejected')),
        reason_code    text,
        body           bytea NOT NULL,
        issued_at      timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX receipt_package_idx ON receipt (package_id) WHERE package_id IS NOT NULL`);
    await q.query(`CREATE INDEX receipt_recipient_idx ON receipt (recipient, issued_at)`);

    // Messages decided in a committed transaction and not yet confirmed by the broker.
    // available_at doubles as a lease: the process that wrote a row publishes it at once and
    // anyone may take it over once the lease has passed (crash recovery).
    await q.query(`
      CREATE TABLE outbox (
        id            bigserial PRIMARY KEY,
        destination   text NOT NULL,
        message_type  text NOT NULL CHECK (message_type IN ('edoc', 'status', 'receipt')),
        message_id    text NOT NULL,
        package_id    uuid REFERENCES package (id),
        receipt_id    uuid REFERENCES receipt (id),
        headers       jsonb NOT NULL,
        created_at    timestamptz NOT NULL DEFAULT now(),
        available_at  timestamptz NOT NULL,
        attempts      integer NOT NULL DEFAULT 0,
        last_error    text,
        CHECK ((package_id IS NULL) <> (receipt_id IS NULL))
      )`);
    await q.query(`CREATE INDEX outbox_available_idx ON outbox (available_at, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of [
      'outbox',
      'receipt',
      'quarantine',
      'trace_event',
      'delivery',
      'package_content',
      'package',
      'endpoint_change',
      'organ_alias',
      'endpoint',
    ]) {
      await q.query(`DROP TABLE IF EXISTS ${table}`);
    }
  }
}
