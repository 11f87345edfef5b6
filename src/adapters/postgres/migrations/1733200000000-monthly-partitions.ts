import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every table that grows with traffic is partitioned by month (UTC), so that a month can be
 * archived, detached and dropped as one piece (issue 27), and queries that name a period read
 * only its months.
 *
 * The key is the bus's UUIDv7 id, whose first 48 bits are the Unix time in milliseconds: a month
 * is the id range [uuid of its first millisecond, uuid of the next month's). A package's content,
 * copies and trace are keyed by the package's id, so everything that happens to a document —
 * statuses that arrive weeks later included — stays in the month it was accepted, and the foreign
 * keys from them to `package` still hold. Receipts and quarantined packages are keyed by their own
 * id (the month they were issued or refused); bridge refusals by their time.
 *
 * What a partitioned table cannot do, and what replaces it:
 * - a unique index must contain the key, so the idempotency keys (a sender's DocumentId, a status's
 *   digest) move to `package_register`, one narrow row per package that stays when its month is
 *   archived (where to find it) — a document sent again years later is still a duplicate;
 * - references that can cross a month (a recall to the document it recalls, a receipt to its
 *   package or quarantined message, a copy to the package that changed it) are kept as values
 *   without a foreign key: the older month may be archived first.
 *
 * There is no default partition: a row for a month without one fails loudly instead of landing
 * where no archive finds it. `edoc_ensure_months(from, count)` creates months ahead; the bus calls
 * it at start and every few hours (PartitionCalendar), this migration for the months its rows need
 * and the next three.
 */
export class MonthlyPartitions1733200000000 implements MigrationInterface {
  name = 'MonthlyPartitions1733200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION edoc_uuid7_floor(at timestamptz) RETURNS uuid
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
          SELECT (lpad(to_hex(floor(extract(epoch FROM at) * 1000)::bigint), 12, '0') || '00000000000000000000')::uuid
        $$`);
    await q.query(`
      CREATE FUNCTION edoc_uuid7_time(id uuid) RETURNS timestamptz
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
          SELECT to_timestamp(('x' || substr(replace(id::text, '-', ''), 1, 12))::bit(48)::bigint / 1000.0)
        $$`);
    await q.query(`
      CREATE FUNCTION edoc_month_of(at timestamptz) RETURNS date
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
          SELECT date_trunc('month', at AT TIME ZONE 'UTC')::date
        $$`);
    // The partitioned tables and their keys, in one place: the calendar and the archive read it.
    await q.query(`
      CREATE TABLE partitioned_table (
        name      text PRIMARY KEY,
        key_type  text NOT NULL CHECK (key_type IN ('uuid7', 'time'))
      )`);
    await q.query(`
      INSERT INTO partitioned_table (name, key_type) VALUES
        ('package', 'uuid7'), ('package_content', 'uuid7'), ('delivery', 'uuid7'), ('trace_event', 'uuid7'),
        ('receipt', 'uuid7'), ('quarantine', 'uuid7'), ('bridge_refusal', 'time'), ('audit_log', 'time')`);
    // A month's partition bounds for a table's key: what the calendar creates and a restore attaches.
    // STABLE, not IMMUTABLE: a time's text form follows the session's TimeZone (with its offset).
    await q.query(`
      CREATE FUNCTION edoc_month_bounds(key_type text, month date, OUT from_value text, OUT to_value text)
        LANGUAGE sql STABLE AS $$
          SELECT CASE key_type WHEN 'uuid7' THEN edoc_uuid7_floor(f)::text ELSE f::text END,
                 CASE key_type WHEN 'uuid7' THEN edoc_uuid7_floor(t)::text ELSE t::text END
            FROM (SELECT month::timestamp AT TIME ZONE 'UTC' AS f,
                         (month + interval '1 month')::timestamp AT TIME ZONE 'UTC' AS t) b
        $$`);
    await q.query(`
      CREATE FUNCTION edoc_ensure_months(first_month date, months int) RETURNS int
        LANGUAGE plpgsql AS $$
        DECLARE
          t record;
          m date;
          b record;
          created int := 0;
          part text;
        BEGIN
          -- Two bus processes at start would otherwise both create the same month.
          PERFORM pg_advisory_xact_lock(hashtext('edoc_ensure_months'));
          FOR i IN 0 .. months - 1 LOOP
            m := (date_trunc('month', first_month) + make_interval(months => i))::date;
            FOR t IN SELECT name, key_type FROM partitioned_table ORDER BY name LOOP
              part := t.name || '_' || to_char(m, 'YYYY_MM');
              CONTINUE WHEN to_regclass(part) IS NOT NULL;
              b := edoc_month_bounds(t.key_type, m);
              EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)', part, t.name,
                b.from_value, b.to_value);
              created := created + 1;
            END LOOP;
          END LOOP;
          RETURN created;
        END $$`);

    await this.register(q);

    // The references that may cross months lose their foreign keys (see above).
    await q.query(`ALTER TABLE package DROP CONSTRAINT package_related_package_id_fkey`);
    await q.query(`ALTER TABLE delivery DROP CONSTRAINT delivery_change_package_id_fkey`);
    await q.query(`ALTER TABLE receipt DROP CONSTRAINT receipt_package_id_fkey`);
    await q.query(`ALTER TABLE receipt DROP CONSTRAINT receipt_quarantine_id_fkey`);
    // The sequences of bigserial ids outlive the tables they are moved out of.
    await q.query(`ALTER SEQUENCE trace_event_id_seq OWNED BY NONE`);
    await q.query(`ALTER SEQUENCE bridge_refusal_id_seq OWNED BY NONE`);

    for (const t of TABLES) await q.query(`ALTER TABLE ${t.name} RENAME TO ${t.name}_unpartitioned`);
    for (const t of TABLES) {
      await q.query(
        `CREATE TABLE ${t.name} (LIKE ${t.name}_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS)
           PARTITION BY RANGE (${t.key})`,
      );
    }
    // The months the existing rows need, this one and the next three.
    await q.query(`
      SELECT edoc_ensure_months(m, 1) FROM (
        SELECT DISTINCT edoc_month_of(edoc_uuid7_time(id)) AS m FROM package_unpartitioned
        UNION SELECT DISTINCT edoc_month_of(edoc_uuid7_time(id)) FROM receipt_unpartitioned
        UNION SELECT DISTINCT edoc_month_of(edoc_uuid7_time(id)) FROM quarantine_unpartitioned
        UNION SELECT DISTINCT edoc_month_of(at) FROM bridge_refusal_unpartitioned
      ) months`);
    await q.query(`SELECT edoc_ensure_months(edoc_month_of(now()), 4)`);
    // Rows move before the triggers exist: moving them is not a new event for the audit log.
    for (const t of TABLES) {
      await q.query(`INSERT INTO ${t.name} SELECT * FROM ${t.name}_unpartitioned`);
    }
    // Dropping the old tables drops the foreign keys of outbox and pull_item, recreated below.
    for (const t of [...TABLES].reverse()) await q.query(`DROP TABLE ${t.name}_unpartitioned CASCADE`);
    await q.query(`ALTER SEQUENCE trace_event_id_seq OWNED BY trace_event.id`);
    await q.query(`ALTER SEQUENCE bridge_refusal_id_seq OWNED BY bridge_refusal.id`);

    for (const t of TABLES) for (const statement of t.after) await q.query(statement);
    await q.query(`ANALYZE package_register`);
    for (const t of TABLES) await q.query(`ANALYZE ${t.name}`);
  }

  /** One row per package: its idempotency keys, and after archiving, where it went. */
  private async register(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE package_register (
        package_id         uuid PRIMARY KEY,
        kind               text NOT NULL CHECK (kind IN ('edoc', 'status')),
        sender             text NOT NULL,
        document_id        text NOT NULL,
        business_doc_type  smallint,
        -- The package's digest: a status's idempotency key, and for a document what tells a
        -- resend (a duplicate) from another document under the same DocumentId, archived or not.
        sha256             bytea NOT NULL,
        archive_set        text
      )`);
    await q.query(`
      INSERT INTO package_register (package_id, kind, sender, document_id, business_doc_type, sha256)
      SELECT id, kind, sender, document_id, business_doc_type, sha256 FROM package`);
    await q.query(
      `CREATE UNIQUE INDEX package_register_edoc_key ON package_register (sender, document_id, business_doc_type) WHERE kind = 'edoc'`,
    );
    await q.query(
      `CREATE UNIQUE INDEX package_register_status_key ON package_register (sender, sha256) WHERE kind = 'status'`,
    );
    await q.query(`CREATE INDEX package_register_document_idx ON package_register (document_id)`);
  }

  async down(): Promise<void> {
    // Going back would move every month into one table again: restore the backup taken before.
    throw new Error('MonthlyPartitions1733200000000 cannot be reverted; restore the backup taken before it');
  }
}

/** Each table, its partition key and what it had besides columns (recreated on the partitioned table). */
const TABLES: { name: string; key: string; after: string[] }[] = [
  {
    name: 'package',
    key: 'id',
    after: [
      `ALTER TABLE package ADD PRIMARY KEY (id)`,
      `CREATE INDEX package_accepted_idx ON package (accepted_at)`,
      `CREATE INDEX package_document_id_idx ON package (document_id)`,
      `CREATE INDEX package_related_idx ON package (related_package_id) WHERE related_package_id IS NOT NULL`,
      `CREATE INDEX package_sender_accepted_idx ON package (sender, accepted_at DESC)`,
      `CREATE INDEX package_sent_idx ON package (sender, id) WHERE kind = 'edoc'`,
      `CREATE INDEX package_subject_trgm_idx ON package USING gin (subject gin_trgm_ops)`,
      `CREATE INDEX package_transport_message_idx ON package (sender, transport_message_id) WHERE transport_message_id IS NOT NULL`,
      `CREATE TRIGGER package_signer_certificate AFTER INSERT ON package FOR EACH ROW WHEN (NEW.signature IS NOT NULL)
         EXECUTE FUNCTION note_signer_certificate()`,
    ],
  },
  {
    name: 'package_content',
    key: 'package_id',
    after: [
      `ALTER TABLE package_content ADD PRIMARY KEY (package_id)`,
      `ALTER TABLE package_content ADD FOREIGN KEY (package_id) REFERENCES package (id)`,
    ],
  },
  {
    name: 'delivery',
    key: 'package_id',
    after: [
      `ALTER TABLE delivery ADD PRIMARY KEY (package_id, recipient)`,
      `ALTER TABLE delivery ADD FOREIGN KEY (package_id) REFERENCES package (id)`,
      `CREATE INDEX delivery_arrival_due_idx ON delivery (arrival_due_at) WHERE state IN ('queued', 'delivered')`,
      `CREATE INDEX delivery_created_idx ON delivery (created_at DESC, package_id, recipient)`,
      `CREATE INDEX delivery_decision_due_idx ON delivery (decision_due_at) WHERE state IN ('queued', 'delivered', 'arrived')`,
      `CREATE INDEX delivery_recipient_idx ON delivery (recipient, created_at)`,
      `CREATE INDEX delivery_unanswered_idx ON delivery (recipient, created_at) WHERE state IN ('queued', 'delivered', 'arrived')`,
      `CREATE INDEX delivery_waiting_idx ON delivery (recipient, created_at) WHERE state = 'queued'`,
    ],
  },
  {
    name: 'trace_event',
    key: 'package_id',
    after: [
      `ALTER TABLE trace_event ADD PRIMARY KEY (package_id, id)`,
      `ALTER TABLE trace_event ADD FOREIGN KEY (package_id) REFERENCES package (id)`,
      `CREATE TRIGGER trace_event_audit AFTER INSERT ON trace_event FOR EACH ROW EXECUTE FUNCTION audit_from_trace_event()`,
    ],
  },
  {
    name: 'receipt',
    key: 'id',
    after: [
      `ALTER TABLE receipt ADD PRIMARY KEY (id)`,
      `CREATE INDEX receipt_issued_idx ON receipt (issued_at)`,
      `CREATE INDEX receipt_package_idx ON receipt (package_id) WHERE package_id IS NOT NULL`,
      `CREATE INDEX receipt_recipient_idx ON receipt (recipient, issued_at)`,
      `ALTER TABLE outbox ADD FOREIGN KEY (receipt_id) REFERENCES receipt (id)`,
      `ALTER TABLE pull_item ADD FOREIGN KEY (receipt_id) REFERENCES receipt (id)`,
      `ALTER TABLE outbox ADD FOREIGN KEY (package_id) REFERENCES package (id)`,
      `ALTER TABLE pull_item ADD FOREIGN KEY (package_id) REFERENCES package (id)`,
      `CREATE TRIGGER receipt_audit AFTER INSERT ON receipt FOR EACH ROW EXECUTE FUNCTION audit_from_receipt()`,
    ],
  },
  {
    name: 'quarantine',
    key: 'id',
    after: [
      `ALTER TABLE quarantine ADD PRIMARY KEY (id)`,
      `CREATE INDEX quarantine_reason_idx ON quarantine (reason_code, received_at)`,
      `CREATE INDEX quarantine_received_idx ON quarantine (received_at)`,
      `CREATE INDEX quarantine_sender_idx ON quarantine (authenticated_sender, transport_message_id)`,
      `CREATE TRIGGER quarantine_audit AFTER INSERT ON quarantine FOR EACH ROW EXECUTE FUNCTION audit_from_quarantine()`,
    ],
  },
  {
    name: 'bridge_refusal',
    key: 'at',
    after: [
      `ALTER TABLE bridge_refusal ADD PRIMARY KEY (id, at)`,
      `CREATE INDEX bridge_refusal_at_idx ON bridge_refusal (at)`,
      `CREATE TRIGGER bridge_refusal_audit AFTER INSERT ON bridge_refusal FOR EACH ROW EXECUTE FUNCTION audit_from_bridge_refusal()`,
    ],
  },
];
