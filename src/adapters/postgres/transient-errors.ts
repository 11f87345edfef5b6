import { InfrastructureUnavailableError } from '../../modules/shared/errors';

/** Postgres SQLSTATE classes and codes that mean "try again later", not "this input is bad". */
const TRANSIENT_SQLSTATE = new Set([
  // read_only_sql_transaction: a host that is (or has just become) a standby; the primary finder
  // moves on to the promoted one.
  '25006',
  '40001',
  '40P01',
  '53300',
  '55P03',
  '57P01',
  '57P02',
  '57P03',
  '58000',
  '58030',
]);
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
const MESSAGES = [
  /Connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /Client has encountered a connection error/i,
  /connection is closed/i,
  /Connection lost/i,
];

/**
 * Whether an error means a dependency is down (database restarting, network blip) rather than a
 * defect or bad input. Such a message is kept and retried, never refused or dead-lettered.
 */
export function isTransientInfrastructureError(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 5; depth++) {
    if (e instanceof InfrastructureUnavailableError) return true;
    const candidate = e as { code?: unknown; message?: unknown; driverError?: unknown; cause?: unknown };
    const code = typeof candidate.code === 'string' ? candidate.code : '';
    // Class 08 is connection trouble — except 08P01, a protocol violation: a defect, not an outage.
    if (
      TRANSIENT_SQLSTATE.has(code) ||
      (code.startsWith('08') && code !== '08P01') ||
      NETWORK_CODES.has(code)
    )
      return true;
    if (typeof candidate.message === 'string' && MESSAGES.some((m) => m.test(candidate.message as string)))
      return true;
    e = candidate.driverError ?? candidate.cause;
  }
  return false;
}
