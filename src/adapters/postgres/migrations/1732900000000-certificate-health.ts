import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the console's overview needs about certificates and revocation sources, kept small so the
 * page stays fast on years of packages:
 * - `signer_certificate`: one row per signing certificate the bus has accepted a package under,
 *   filled by a trigger from the package's signature record (no work for the submission code);
 *   `last_seen` moves at most once an hour, so a busy signer costs no row churn;
 * - `revocation_source`: per OCSP responder / CRL address, the last success, the last failure and
 *   its error, and the failures in a row (written only when the bus actually fetches).
 */
export class CertificateHealth1732900000000 implements MigrationInterface {
  name = 'CertificateHealth1732900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE signer_certificate (
        fingerprint  text PRIMARY KEY,
        organ_id     text,
        subject      text NOT NULL,
        serial       text NOT NULL,
        not_after    timestamptz NOT NULL,
        first_seen   timestamptz NOT NULL,
        last_seen    timestamptz NOT NULL
      )`);
    await q.query(`CREATE INDEX signer_certificate_expiry ON signer_certificate (not_after)`);
    await q.query(`
      CREATE FUNCTION note_signer_certificate() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE s jsonb := NEW.signature -> 'signer';
      BEGIN
        IF s IS NULL OR s ->> 'fingerprint' IS NULL THEN RETURN NULL; END IF;
        INSERT INTO signer_certificate AS c (fingerprint, organ_id, subject, serial, not_after, first_seen, last_seen)
        VALUES (s ->> 'fingerprint', s ->> 'organId', coalesce(s ->> 'subject', ''), coalesce(s ->> 'serialNumber', ''),
                (s ->> 'notAfter')::timestamptz, NEW.accepted_at, NEW.accepted_at)
        ON CONFLICT (fingerprint) DO UPDATE SET last_seen = EXCLUDED.last_seen
          WHERE c.last_seen < EXCLUDED.last_seen - interval '1 hour';
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER package_signer_certificate AFTER INSERT ON package
        FOR EACH ROW WHEN (NEW.signature IS NOT NULL) EXECUTE FUNCTION note_signer_certificate()`);
    await q.query(`
      INSERT INTO signer_certificate (fingerprint, organ_id, subject, serial, not_after, first_seen, last_seen)
      SELECT signature -> 'signer' ->> 'fingerprint', max(signature -> 'signer' ->> 'organId'),
             max(coalesce(signature -> 'signer' ->> 'subject', '')), max(coalesce(signature -> 'signer' ->> 'serialNumber', '')),
             max((signature -> 'signer' ->> 'notAfter')::timestamptz), min(accepted_at), max(accepted_at)
        FROM package WHERE signature -> 'signer' ->> 'fingerprint' IS NOT NULL
       GROUP BY 1`);
    await q.query(`
      CREATE TABLE revocation_source (
        url                   text PRIMARY KEY,
        method                text NOT NULL CHECK (method IN ('ocsp', 'crl')),
        last_success_at       timestamptz,
        last_failure_at       timestamptz,
        last_error            text,
        failures_in_a_row     integer NOT NULL DEFAULT 0
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS revocation_source`);
    await q.query(`DROP TRIGGER IF EXISTS package_signer_certificate ON package`);
    await q.query(`DROP FUNCTION IF EXISTS note_signer_certificate()`);
    await q.query(`DROP TABLE IF EXISTS signer_certificate`);
  }
}
