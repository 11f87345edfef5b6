import type { DataSource } from 'typeorm';
import { ConsoleSessionRepository } from '../../modules/console/console-users.port';
import type { ConsoleRole, ConsoleSession } from '../../modules/console/domain/console-user';
import { Sql } from './sql';

export class PgConsoleSessions extends ConsoleSessionRepository {
  private readonly sql: Sql;

  constructor(db: DataSource) {
    super();
    this.sql = new Sql(db);
  }

  async create(idHash: string, s: ConsoleSession & { createdAt: Date }): Promise<void> {
    await this.sql.exec(
      `INSERT INTO console_session (id_hash, username, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
      [idHash, s.username, s.csrfToken, s.createdAt, s.expiresAt],
    );
  }

  async find(idHash: string, now: Date): Promise<ConsoleSession | null> {
    const r = await this.sql.one<{
      username: string;
      role: ConsoleRole;
      csrf_token: string;
      expires_at: Date;
    }>(
      `SELECT s.username, u.role, s.csrf_token, s.expires_at FROM console_session s
         JOIN console_user u ON u.username = s.username
        WHERE s.id_hash = $1 AND s.expires_at > $2 AND (u.locked_until IS NULL OR u.locked_until <= $2)`,
      [idHash, now],
    );
    return r
      ? { username: r.username, role: r.role, csrfToken: r.csrf_token, expiresAt: r.expires_at }
      : null;
  }

  async delete(idHash: string): Promise<void> {
    await this.sql.exec(`DELETE FROM console_session WHERE id_hash = $1`, [idHash]);
  }
}
