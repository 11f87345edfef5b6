import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Signature policies per endpoint, signature evidence per package, revocation evidence per certificate. */
export class Trust1732400000000 implements MigrationInterface {
  name = 'Trust1732400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE endpoint ADD COLUMN signature_policy text NOT NULL DEFAULT 'strict'
        CHECK (signature_policy IN ('strict', 'legacy-sha1', 'transition-unsigned'))`);
    await q.query(`ALTER TABLE package ADD COLUMN signature jsonb`);
    // The last good revocation answer per certificate: it carries the grace period across restarts.
    await q.query(`
      CREATE TABLE revocation_evidence (
        fingerprint  text PRIMARY KEY,
        method       text NOT NULL CHECK (method IN ('ocsp', 'crl')),
        url          text NOT NULL,
        status       text NOT NULL CHECK (status IN ('good', 'revoked', 'unknown')),
        revoked_at   timestamptz,
        this_update  timestamptz NOT NULL,
        next_update  timestamptz NOT NULL,
        fetched_at   timestamptz NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS revocation_evidence`);
    await q.query(`ALTER TABLE package DROP COLUMN IF EXISTS signature`);
    await q.query(`ALTER TABLE endpoint DROP COLUMN IF EXISTS signature_policy`);
  }
}
