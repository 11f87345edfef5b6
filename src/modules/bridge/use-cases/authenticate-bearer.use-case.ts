import { Injectable } from '@nestjs/common';
import { Clock } from '../../shared/clock';
import { BridgeCredentials, BridgeRefusals } from '../bridge-credentials.port';
import type { BridgeRefusal } from '../domain/bridge-refusal';

export type BearerIdentity = { ok: true; organId: string } | ({ ok: false } & BridgeRefusal);

/** Authenticates a REST call by the endpoint's bearer token; refusals are recorded. */
@Injectable()
export class AuthenticateBearer {
  constructor(
    private readonly credentials: BridgeCredentials,
    private readonly refusals: BridgeRefusals,
    private readonly clock: Clock,
  ) {}

  async execute(command: {
    token: string | undefined;
    operation: string;
    remote: string | null;
  }): Promise<BearerIdentity> {
    const organId = command.token ? await this.credentials.organOfToken(command.token) : null;
    if (organId) return { ok: true, organId };
    const reason = command.token ? 'unknown or revoked token' : 'an Authorization: Bearer token is required';
    await this.refusals.record({
      at: this.clock.now(),
      transport: 'rest',
      operation: command.operation,
      claimed: null,
      code: 'BAD_CREDENTIALS',
      reason,
      remote: command.remote,
    });
    return { ok: false, code: 'BAD_CREDENTIALS', reason };
  }
}
