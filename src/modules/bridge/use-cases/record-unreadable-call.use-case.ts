import { Injectable } from '@nestjs/common';
import { Clock } from '../../shared/clock';
import { BridgeRefusals } from '../bridge-calls.port';

/**
 * A bridge call refused before anyone could be authenticated: a body over the size limit, or an
 * envelope that is not XML at all. Nothing reached a package use case, but the operators must still
 * see it (a misconfigured client, or someone probing), so it is recorded like every other refusal.
 */
@Injectable()
export class RecordUnreadableCall {
  constructor(
    private readonly refusals: BridgeRefusals,
    private readonly clock: Clock,
  ) {}

  async execute(command: { transport: string; reason: string; remote: string | null }): Promise<void> {
    await this.refusals.record({
      at: this.clock.now(),
      transport: command.transport,
      operation: 'unreadable',
      claimed: null,
      code: 'BAD_REQUEST',
      reason: command.reason.slice(0, 500),
      remote: command.remote,
    });
  }
}
