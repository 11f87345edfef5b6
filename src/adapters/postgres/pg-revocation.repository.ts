import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { RevocationEvidence } from '../../modules/trust/revocation/revocation';
import {
  RevocationStore,
  type RevocationSourceOutcome,
} from '../../modules/trust/revocation/revocation-sources.port';
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

  async noteSource(o: RevocationSourceOutcome): Promise<void> {
    await this.sql.exec(
      o.error === null
        ? `INSERT INTO revocation_source AS s (url, method, last_success_at) VALUES ($1, $2, $3)
           ON CONFLICT (url) DO UPDATE SET last_success_at = $3, failures_in_a_row = 0`
        : `INSERT INTO revocation_source AS s (url, method, last_failure_at, last_error, failures_in_a_row)
           VALUES ($1, $2, $3, $4, 1)
           ON CONFLICT (url) DO UPDATE SET last_failure_at = $3, last_error = $4,
             failures_in_a_row = s.failures_in_a_row + 1`,
      o.error === null ? [o.url, o.method, o.at] : [o.url, o.method, o.at, o.error.slice(0, 500)],
    );
  }
}
