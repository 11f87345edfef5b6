import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { RevocationEvidence } from '../../modules/trust/revocation/revocation';
import { RevocationStore } from '../../modules/trust/revocation/revocation-ports';
import { Sql } from './sql';

@Injectable()
export class PgRevocationStore extends RevocationStore {
  private readonly sql: Sql;

  constructor(db: DataSource) {
    super();
    this.sql = new Sql(db);
  }

  async load(fingerprint: string): Promise<RevocationEvidence | null> {
    const row = await this.sql.one<{
      method: 'ocsp' | 'crl';
      url: string;
      status: RevocationEvidence['status'];
      revoked_at: Date | null;
      this_update: Date;
      next_update: Date;
      fetched_at: Date;
    }>(
      `SELECT method, url, status, revoked_at, this_update, next_update, fetched_at FROM revocation_evidence WHERE fingerprint = $1`,
      [fingerprint],
    );
    if (!row) return null;
    return {
      fingerprint,
      method: row.method,
      url: row.url,
      status: row.status,
      revokedAt: row.revoked_at?.toISOString(),
      thisUpdate: row.this_update.toISOString(),
      nextUpdate: row.next_update.toISOString(),
      fetchedAt: row.fetched_at.toISOString(),
    };
  }

  async save(e: RevocationEvidence): Promise<void> {
    await this.sql.exec(
      `INSERT INTO revocation_evidence (fingerprint, method, url, status, revoked_at, this_update, next_update, fetched_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (fingerprint) DO UPDATE SET method = $2, url = $3, status = $4, revoked_at = $5,
         this_update = $6, next_update = $7, fetched_at = $8`,
      [
        e.fingerprint,
        e.method,
        e.url,
        e.status,
        e.revokedAt ?? null,
        e.thisUpdate,
        e.nextUpdate,
        e.fetchedAt,
      ],
    );
  }
}
