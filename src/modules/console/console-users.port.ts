import type { ConsoleRole, ConsoleSession, ConsoleUser } from './domain/console-user';

export abstract class ConsoleUserRepository {
  abstract find(username: string): Promise<ConsoleUser | null>;
  /** Adds the user, or replaces its password and role (and clears a lockout). */
  abstract save(user: { username: string; passwordHash: string; role: ConsoleRole }, at: Date): Promise<void>;
  abstract recordFailure(username: string, lockedUntil: Date | null): Promise<void>;
  abstract recordSuccess(username: string): Promise<void>;
  /** Every login attempt, successful or not (it goes to the audit log). */
  abstract recordLogin(event: {
    at: Date;
    username: string;
    outcome: string;
    remote: string | null;
  }): Promise<void>;
  /** A console action that leaves no other record (an export); it goes to the audit log. */
  abstract recordAction(event: {
    at: Date;
    username: string;
    action: string;
    detail: Record<string, unknown>;
  }): Promise<void>;
}

export abstract class ConsoleSessionRepository {
  abstract create(idHash: string, session: ConsoleSession & { createdAt: Date }): Promise<void>;
  abstract find(idHash: string, now: Date): Promise<ConsoleSession | null>;
  abstract delete(idHash: string): Promise<void>;
}

/** Port: a memory-hard password hash. */
export abstract class PasswordHasher {
  abstract hash(password: string): Promise<string>;
  abstract verify(password: string, hash: string): Promise<boolean>;
}
