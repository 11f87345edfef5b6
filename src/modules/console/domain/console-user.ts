export type ConsoleRole = 'admin' | 'operator' | 'auditor';
export const CONSOLE_ROLES: ConsoleRole[] = ['admin', 'operator', 'auditor'];

export interface ConsoleUser {
  username: string;
  passwordHash: string;
  role: ConsoleRole;
  failedAttempts: number;
  lockedUntil: Date | null;
}

export interface ConsoleSession {
  username: string;
  role: ConsoleRole;
  csrfToken: string;
  expiresAt: Date;
}

/** What each role may do in the console; reading is open to all three. */
export type ConsoleAction = 'endpoint.lock' | 'endpoint.policy' | 'dead-letter.redeliver' | 'audit.export';

const ALLOWED: Record<ConsoleAction, ConsoleRole[]> = {
  'endpoint.lock': ['admin'],
  'endpoint.policy': ['admin'],
  'dead-letter.redeliver': ['admin', 'operator'],
  'audit.export': ['admin', 'auditor'],
};

export function may(role: ConsoleRole, action: ConsoleAction): boolean {
  return ALLOWED[action].includes(role);
}

/** After this many wrong passwords in a row the account is locked for a while. */
export const LOCKOUT_AFTER = 5;
export const LOCKOUT_MINUTES = 15;
