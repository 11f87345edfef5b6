import { Injectable } from '@nestjs/common';
import type { TransportName } from '../../delivery/delivery-records';
import { Clock } from '../../shared/clock';
import { isUuid } from '../../shared/ids';
import { BridgeRefusals } from '../bridge-calls.port';
import { BridgeSettings } from '../bridge-settings';
import type { BridgeRefusal } from '../domain/bridge-refusal';
import { PullInboxRepository, type SettleOutcome, type SettleResult } from '../pull-inbox-repository.port';

/**
 * The endpoint's answer for one item (axis `updateStatus`): `done` removes it from the listing,
 * `processing` keeps it reserved for a while longer, `fail` makes it available again and, at the
 * fail limit, sends it to the dead letters for an operator.
 */
const OUTCOMES: readonly SettleOutcome[] = ['done', 'fail', 'processing'];

@Injectable()
export class SettlePullItem {
  constructor(
    private readonly inbox: PullInboxRepository,
    private readonly refusals: BridgeRefusals,
    private readonly settings: BridgeSettings,
    private readonly clock: Clock,
  ) {}

  async execute(command: {
    transport: TransportName;
    endpoint: string;
    docId: string;
    /** `done`, `fail` or `processing` as the call says; anything else is refused. */
    outcome: string;
    remote: string | null;
  }): Promise<({ ok: true } & SettleResult) | ({ ok: false } & BridgeRefusal)> {
    const now = this.clock.now();
    const outcome = command.outcome.toLowerCase() as SettleOutcome;
    if (!OUTCOMES.includes(outcome)) {
      const reason = 'the status is done, fail or processing';
      await this.record(command, now, 'BAD_REQUEST', reason);
      return { ok: false, code: 'BAD_REQUEST', reason };
    }
    const result = isUuid(command.docId)
      ? await this.inbox.settle(command.endpoint, command.docId, outcome, now, {
          failLimit: this.settings.failLimit,
          leaseSeconds: this.settings.listingLeaseSeconds,
        })
      : { found: false };
    if (result.found) return { ok: true, ...result };
    const reason = `no document ${command.docId.slice(0, 100)} waiting for ${command.endpoint}`;
    await this.record(command, now, 'NOT_FOUND', reason);
    return { ok: false, code: 'NOT_FOUND', reason };
  }

  private async record(
    command: { transport: TransportName; endpoint: string; outcome: string; remote: string | null },
    at: Date,
    code: BridgeRefusal['code'],
    reason: string,
  ): Promise<void> {
    await this.refusals.record({
      at,
      transport: command.transport,
      operation: `settle:${command.outcome.slice(0, 20)}`,
      claimed: command.endpoint,
      code,
      reason,
      remote: command.remote,
    });
  }
}
