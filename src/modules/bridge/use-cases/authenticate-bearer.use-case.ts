import { Injectable } from '@nestjs/common';
import { Clock } from '../../shared/clock';
import { BridgeCredentials } from '../../registry/bridge-credentials.port';
import { BridgeRefusals } from '../bridge-calls.port';
import type { BridgeRefusal } from '../domain/bridge-refusal';
import { CheckBridgeCredentials } from './check-bridge-credentials.use-case';

export type BearerIdentity = { ok: true; organId: string } | ({ ok: false } & BridgeRefusal);

/**
 * Authenticates a REST call by the endpoint's bearer token, its organ's certificate in the TLS
 * handshake, or both, as the endpoint's mode says; refusals are recorded.
 */
@Injectable()
export class AuthenticateBearer {
  constructor(
    private readonly credentials: BridgeCredentials,
    private readonly callers: CheckBridgeCredentials,
    private readonly refusals: BridgeRefusals,
    private readonly clock: Clock,
  ) {}

  async execute(command: {
    token: string | undefined;
    operation: string;
    /** The certificate chain shown in the TLS handshake (DER base64, the caller's own first). */
    clientCertificates?: string[];
    remote: string | null;
  }): Promise<BearerIdentity> {
    const tokenOrgan = command.token ? await this.credentials.organOfToken(command.token) : null;
    const caller = await this.callers.execute({
      claimedOrgan: tokenOrgan,
      secretVerified: tokenOrgan !== null,
      clientCertificates: command.clientCertificates ?? [],
    });
    if (caller.ok) return caller;
    const reason =
      !command.token && !command.clientCertificates?.length
        ? 'an Authorization: Bearer token is required'
        : command.token && !tokenOrgan
          ? 'unknown or revoked token'
          : caller.reason;
    await this.refusals.record({
      at: this.clock.now(),
      transport: 'rest',
      operation: command.operation,
      claimed: tokenOrgan,
      code: 'BAD_CREDENTIALS',
      reason,
      remote: command.remote,
    });
    return { ok: false, code: 'BAD_CREDENTIALS', reason };
  }
}
