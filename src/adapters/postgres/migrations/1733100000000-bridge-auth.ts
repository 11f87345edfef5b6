import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What each bridge endpoint's calls must carry: its shared secret (`hmac`, what existing axis SDK
 * clients have), its organ's certificate in the TLS handshake (`mtls`), or both.
 */
export class BridgeAuth1733100000000 implements MigrationInterface {
  name = 'BridgeAuth1733100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE endpoint ADD COLUMN bridge_auth text NOT NULL DEFAULT 'hmac'
         CHECK (bridge_auth IN ('hmac', 'mtls', 'mtls+hmac'))`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE endpoint DROP COLUMN bridge_auth`);
  }
}
