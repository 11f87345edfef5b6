import { Logger } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import {
  BridgeCredentials,
  type IssuedBridgeCredentials,
} from '../../modules/registry/bridge-credentials.port';
import type { SecretBox } from './secret-box';
import { Sql } from './sql';

function tokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export class PgBridgeCredentials extends BridgeCredentials {
  private readonly logger = new Logger('bridge-credentials');
  private readonly sql: Sql;

  constructor(
    db: DataSource,
    private readonly box: () => SecretBox,
  ) {
    super();
    this.sql = new Sql(db);
  }

  async issue(organId: string, at: Date): Promise<IssuedBridgeCredentials> {
    const secret = randomBytes(32).toString('base64url');
    const token = `edb_${randomBytes(32).toString('base64url')}`;
    await this.sql.exec(
      `INSERT INTO bridge_credential (organ_id, secret_box, token_hash, issued_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (organ_id) DO UPDATE SET secret_box = EXCLUDED.secret_box, token_hash = EXCLUDED.token_hash,
         issued_at = EXCLUDED.issued_at`,
      [organId, this.box().seal(secret), tokenHash(token), at],
    );
    return { organId, systemId: organId, secret, token };
  }

  async secretOf(organId: string): Promise<string | null> {
    const row = await this.sql.one<{ secret_box: string }>(
      `SELECT secret_box FROM bridge_credential WHERE organ_id = $1`,
      [organId],
    );
    if (!row) return null;
    try {
      return this.box().open(row.secret_box);
    } catch (error) {
      // Another key file than the one the secret was issued with: nobody can authenticate as it.
      this.logger.error(
        `cannot open the secret of ${organId} (wrong BRIDGE_SECRETS_KEY_FILE?): ${String(error)}`,
      );
      return null;
    }
  }

  async revoke(organId: string): Promise<void> {
    await this.sql.exec(`DELETE FROM bridge_credential WHERE organ_id = $1`, [organId]);
  }

  async organOfToken(token: string): Promise<string | null> {
    if (token.length > 200) return null;
    const row = await this.sql.one<{ organ_id: string }>(
      `SELECT organ_id FROM bridge_credential WHERE token_hash = $1`,
      [tokenHash(token)],
    );
    return row?.organ_id ?? null;
  }
}
