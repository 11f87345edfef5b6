import { Injectable } from '@nestjs/common';
import { SESSION_HOURS, sessionIdHash } from '../domain/console-session';
import { randomBytes } from 'node:crypto';
import { Clock } from '../../shared/clock';
import { ConsoleSessionRepository, ConsoleUserRepository, PasswordHasher } from '../console-users.port';
import { LOCKOUT_AFTER, LOCKOUT_MINUTES, type ConsoleSession } from '../domain/console-user';

const DUMMY_HASH_PASSWORD = 'never-a-password';

export type LogInRefusal = 'bad-credentials' | 'locked' | 'form-refused';

export type LogInResult =
  | { ok: true; sessionId: string; session: ConsoleSession }
  | { ok: false; reason: LogInRefusal; lockedUntil?: Date };

/**
 * Checks a password (always spending the same hashing work, known user or not), locks the account
 * after repeated failures, records every attempt, and opens a session with its CSRF token. A login
 * whose form token does not match (posted from another site, or an expired form) is refused and
 * recorded before the password is looked at, and does not count towards the lockout: a foreign
 * page must not be able to lock a user out.
 */
@Injectable()
export class LogIn {
  private dummyHash: Promise<string> | null = null;

  constructor(
    private readonly users: ConsoleUserRepository,
    private readonly sessions: ConsoleSessionRepository,
    private readonly hasher: PasswordHasher,
    private readonly clock: Clock,
  ) {}

  async execute(command: {
    username: string;
    password: string;
    /** Whether the form's login token matched the one the login page gave this browser. */
    formTokenMatches: boolean;
    remote: string | null;
  }): Promise<LogInResult> {
    const now = this.clock.now();
    const record = (outcome: string) =>
      this.users.recordLogin({
        at: now,
        username: command.username.slice(0, 64),
        outcome,
        remote: command.remote,
      });
    if (!command.formTokenMatches) {
      await record('form-refused');
      return { ok: false, reason: 'form-refused' };
    }
    const user = await this.users.find(command.username);
    if (user?.lockedUntil && user.lockedUntil > now) {
      await record('locked');
      return { ok: false, reason: 'locked', lockedUntil: user.lockedUntil };
    }
    this.dummyHash ??= this.hasher.hash(DUMMY_HASH_PASSWORD);
    const matches = await this.hasher.verify(command.password, user?.passwordHash ?? (await this.dummyHash));
    if (!user || !matches) {
      if (user) {
        const failures = user.failedAttempts + 1;
        const lock = failures >= LOCKOUT_AFTER ? new Date(now.getTime() + LOCKOUT_MINUTES * 60_000) : null;
        await this.users.recordFailure(user.username, lock);
      }
      await record('failed');
      return { ok: false, reason: 'bad-credentials' };
    }
    await this.users.recordSuccess(user.username);
    await record('succeeded');
    const sessionId = randomBytes(32).toString('base64url');
    const session: ConsoleSession = {
      username: user.username,
      role: user.role,
      csrfToken: randomBytes(24).toString('base64url'),
      expiresAt: new Date(now.getTime() + SESSION_HOURS * 3_600_000),
    };
    await this.sessions.create(sessionIdHash(sessionId), { ...session, createdAt: now });
    return { ok: true, sessionId, session };
  }
}
