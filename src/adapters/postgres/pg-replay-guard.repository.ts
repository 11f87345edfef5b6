import type { DataSource } from 'typeorm';
import { ReplayGuard } from '../../modules/bridge/bridge-calls.port';
import { Sql } from './sql';

export class PgReplayGuard extends ReplayGuard {
  private readonly sql: Sql;

  constructor(db: DataSource) {
    super();
    this.sql = new Sql(db);
  }

  async firstSeen(organId: string, signature: string, at: Date): Promise<boolean> {
    const rows = await this.sql.rows<{ organ_id: string }>(
      `INSERT INTO bridge_request (organ_id, signature, seen_at) VALUES ($1, $2, $3)
       ON CONFLICT DO NOTHING RETURNING organ_id`,
      [organId, signature, at],
    );
    return rows.length === 1;
  }

  async forgetBefore(before: Date): Promise<void> {
    await this.sql.exec(`DELETE FROM bridge_request WHERE seen_at < $1`, [before]);
  }
}
