import { Injectable } from '@nestjs/common';
import { timingSafeEqual, createHash } from 'node:crypto';
import { Directory } from '../../registry/directory';
import { canonicalOrganCode } from '../../registry/domain/organ-code';
import { Clock } from '../../shared/clock';
import { BridgeCredentials } from '../../registry/bridge-credentials.port';
import { BridgeRefusals } from '../bridge-calls.port';
import type { BridgeRefusal } from '../domain/bridge-refusal';
import { CheckBridgeCredentials, UNKNOWN_CALLER } from './check-bridge-credentials.use-case';

export type PasswordIdentity = { ok: true; organId: string } | ({ ok: false } & BridgeRefusal);

/**
 * Authenticates a SOAP call by its WS-Security UsernameToken (the organ code and the endpoint's
 * bridge secret as password, sent in clear: TLS is required in production), by its organ's
 * certificate in the TLS handshake, or by both, as the endpoint's mode says. Refusals are recorded.
 */
@Injectable()
export class AuthenticatePassword {
  constructor(
    private readonly credentials: BridgeCredentials,
    private readonly callers: CheckBridgeCredentials,
    private readonly refusals: BridgeRefusals,
    private readonly directory: Directory,
    private readonly clock: Clock,
  ) {}

  async execute(command: {
    transport: string;
    operation: string;
    username: string | null;
    password: string | null;
    /** The certificate chain shown in the TLS handshake (DER base64, the caller's own first). */
    clientCertificates?: string[];
    remote: string | null;
  }): Promise<PasswordIdentity> {
    const organId = command.username ? (canonicalOrganCode(command.username) ?? command.username) : null;
    const endpoint = organId ? await this.directory.endpoint(organId) : undefined;
    const secret =
      endpoint?.transport === 'bridge' && organId ? await this.credentials.secretOf(organId) : null;
    const caller = await this.callers.execute({
      claimedOrgan: organId,
      secretVerified: !!secret && command.password !== null && sameSecret(secret, command.password),
      clientCertificates: command.clientCertificates ?? [],
    });
    if (caller.ok) return caller;
    const reason =
      !command.username && !command.clientCertificates?.length
        ? 'a WS-Security UsernameToken (organ code, bridge secret) is required'
        : caller.reason === UNKNOWN_CALLER
          ? 'unknown user or wrong password'
          : caller.reason;
    await this.refusals.record({
      at: this.clock.now(),
      transport: command.transport,
      operation: command.operation,
      claimed: command.username,
      code: 'BAD_CREDENTIALS',
      reason,
      remote: command.remote,
    });
    return { ok: false, code: 'BAD_CREDENTIALS', reason };
  }
}

/** Compared as hashes so the time taken says nothing about the length or the content. */
function sameSecret(expected: string, given: string): boolean {
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(given).digest();
  return timingSafeEqual(a, b);
}
