import { Injectable } from '@nestjs/common';
import { timingSafeEqual, createHash } from 'node:crypto';
import { Directory } from '../../registry/directory';
import { canonicalOrganCode } from '../../registry/domain/organ-code';
import { Clock } from '../../shared/clock';
import { BridgeCredentials, BridgeRefusals } from '../bridge-credentials.port';
import type { BridgeRefusal } from '../domain/bridge-refusal';

export type PasswordIdentity = { ok: true; organId: string } | ({ ok: false } & BridgeRefusal);

/**
 * Authenticates a SOAP call's WS-Security UsernameToken: the organ code and the endpoint's bridge
 * secret as password (sent in clear, so TLS is required in production). Refusals are recorded.
 */
@Injectable()
export class AuthenticatePassword {
  constructor(
    private readonly credentials: BridgeCredentials,
    private readonly refusals: BridgeRefusals,
    private readonly directory: Directory,
    private readonly clock: Clock,
  ) {}

  async execute(command: {
    transport: string;
    operation: string;
    username: string | null;
    password: string | null;
    remote: string | null;
  }): Promise<PasswordIdentity> {
    const organId = command.username ? (canonicalOrganCode(command.username) ?? command.username) : null;
    const endpoint = organId ? await this.directory.endpoint(organId) : undefined;
    const secret =
      endpoint?.transport === 'bridge' && organId ? await this.credentials.secretOf(organId) : null;
    if (organId && secret && command.password !== null && sameSecret(secret, command.password))
      return { ok: true, organId };
    const reason = command.username
      ? 'unknown user or wrong password'
      : 'a WS-Security UsernameToken (organ code, bridge secret) is required';
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
