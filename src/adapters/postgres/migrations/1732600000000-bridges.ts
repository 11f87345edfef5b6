import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Bridges for endpoints that poll over HTTP or SOAP instead of holding an AMQP inbox:
 * - `bridge_credential`: the HMAC secret (encrypted: HMAC needs it back) and the REST bearer token
 *   (hashed: only compared) of each bridge endpoint;
 * - `bridge_request`: signatures already seen, so a captured request cannot be replayed;
 * - `pull_item`: the bridge endpoint's inbox. The outbox relay hands it what it would have
 *   published to an AMQP inbox; it stays listed until acknowledged.
 * - `bridge_refusal`: every refused bridge call (bad credentials, replay, someone else's item).
 */
export class Bridges1732600000000 implements MigrationInterface {
  name = 'Bridges1732600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE bridge_credential (
        organ_id     text PRIMARY KEY REFERENCES endpoint (organ_id),
        secret_box   text NOT NULL,
        token_hash   text NOT NULL UNIQUE,
        issued_at    timestamptz NOT NULL
      )`);
    await q.query(`
      CREATE TABLE bridge_request (
        organ_id   text NOT NULL,
        signature  text NOT NULL,
        seen_at    timestamptz NOT NULL,
        PRIMARY KEY (organ_id, signature)
      )`);
    await q.query(`CREATE INDEX bridge_request_seen_idx ON bridge_request (seen_at)`);
    await q.query(`
      CREATE TABLE pull_item (
        id            bigserial PRIMARY KEY,
        endpoint      text NOT NULL,
        message_type  text NOT NULL CHECK (message_type IN ('edoc', 'status', 'receipt')),
        message_id    text NOT NULL,
        package_id    uuid REFERENCES package (id),
        receipt_id    uuid REFERENCES receipt (id),
        body          bytea,
        headers       jsonb NOT NULL,
        lane          text NOT NULL DEFAULT 'normal',
        created_at    timestamptz NOT NULL,
        state         text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'withdrawn', 'dead')),
        lease_owner   text,
        leased_until  timestamptz,
        fail_count    integer NOT NULL DEFAULT 0,
        settled_at    timestamptz,
        UNIQUE (endpoint, message_id),
        CHECK (num_nonnulls(package_id, receipt_id, body) = 1)
      )`);
    await q.query(`CREATE INDEX pull_item_pending_idx ON pull_item (endpoint, id) WHERE state = 'pending'`);
    await q.query(
      `CREATE INDEX pull_item_package_idx ON pull_item (package_id) WHERE package_id IS NOT NULL`,
    );
    // getSentEdocList: a sender's documents, newest first (bus ids are time-ordered UUIDv7).
    await q.query(`CREATE INDEX package_sent_idx ON package (sender, id) WHERE kind = 'edoc'`);
    await q.query(`
      CREATE TABLE bridge_refusal (
        id         bigserial PRIMARY KEY,
        at         timestamptz NOT NULL,
        transport  text NOT NULL,
        operation  text NOT NULL,
        claimed    text,
        code       text NOT NULL,
        reason     text NOT NULL,
        remote     text
      )`);
    await q.query(`CREATE INDEX bridge_refusal_at_idx ON bridge_refusal (at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS package_sent_idx`);
    for (const t of ['bridge_refusal', 'pull_item', 'bridge_request', 'bridge_credential'])
      await q.query(`DROP TABLE IF EXISTS ${t}`);
  }
}
