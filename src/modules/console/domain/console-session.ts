import { createHash } from 'node:crypto';

/** A console session lasts a working day; after that the operator logs in again. */
export const SESSION_HOURS = 8;

/** Sessions are stored by the hash of their id: a copy of the table opens no session. */
export function sessionIdHash(sessionId: string): string {
  return createHash('sha256').update(sessionId).digest('hex');
}
