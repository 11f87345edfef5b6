import type { DataSource } from 'typeorm';
import { ConsoleUserRepository } from '../../modules/console/console-users.port';
import type { ConsoleRole, ConsoleUser } from '../../modules/console/domain/console-user';
import { Sql } from './sql';

export class PgConsoleUsers extends ConsoleUserRepository {
  private readonly sql: Sql;

  constructor(db: DataSource) {
    super();
    this.sql = new Sql(db);
  }

  async find(username: string): Promise<ConsoleUser | null> {
    const r = await this.sql.one<{
      username: string;
      password_hash: string;
      role: ConsoleRole;
      failed_attempts: number;
      locked_until: Date | null;
    }>(
      `SELECT username, password_hash, role, failed_attempts, locked_until FROM console_user WHERE username = $1`,
      [username],
    );
    return r
      ? {
          username: r.username,
          passwordHash: r.password_hash,
          role: r.role,
          failedAttempts: r.failed_attempts,
          lockedUntil: r.locked_until,
        }
      : null;
  }

  async save(u: { username: string; passwordHash: string; role: ConsoleRole }, at: Date): Promise<void> {
    await this.sql.exec(
      `INSERT INTO console_user (username, password_hash, role, created_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (username) DO UPDATE SET password_hash = EXCLUDED.password_hash, role = EXCLUDED.role,
         failed_attempts = 0, locked_until = NULL`,
      [u.username, u.passwordHash, u.role, at],
    );
  }

  async recordFailure(username: string, lockedUntil: Date | null): Promise<void> {
    await this.sql.exec(
      `UPDATE console_user SET failed_attempts = CASE WHEN $2::timestamptz IS NULL THEN failed_attempts + 1 ELSE 0 END,
              locked_until = coalesce($2::timestamptz, locked_until) WHERE username = $1`,
      [username, lockedUntil],
    );
  }

  async recordSuccess(username: string): Promise<void> {
    await this.sql.exec(
      `UPDATE console_user SET failed_attempts = 0, locked_until = NULL WHERE username = $1`,
      [username],
    );
  }

  async recordAction(e: {
    at: Date;
    username: string;
    action: string;
    detail: Record<string, unknown>;
  }): Promise<void> {
    await this.sql.exec(
      `INSERT INTO console_action (at, username, action, detail) VALUES ($1, $2, $3, $4::jsonb)`,
      [e.at, e.username, e.action, JSON.stringify(e.detail)],
    );
  }

  async recordLogin(e: {
    at: Date;
    username: string;
    outcome: string;
    remote: string | null;
  }): Promise<void> {
    await this.sql.exec(`INSERT INTO console_login (at, username, outcome, remote) VALUES ($1, $2, $3, $4)`, [
      e.at,
      e.username,
      e.outcome,
      e.remote,
    ]);
  }
}
