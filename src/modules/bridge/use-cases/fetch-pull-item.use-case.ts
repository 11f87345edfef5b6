import { Injectable } from '@nestjs/common';
import { AcknowledgeDelivery } from '../../routing/use-cases/acknowledge-delivery/acknowledge-delivery.use-case';
import type { TransportName } from '../../delivery/delivery-records';
import { Clock } from '../../shared/clock';
import { isUuid } from '../../shared/ids';
import { BridgeRefusals } from '../bridge-calls.port';
import type { BridgeRefusal } from '../domain/bridge-refusal';
import { PullInboxRepository, type PullItemContent } from '../pull-inbox-repository.port';

export type FetchPullItemResult = ({ ok: true } & PullItemContent) | ({ ok: false } & BridgeRefusal);

/**
 * Hands a bridge endpoint one of its items. Fetching a document is its `delivered` moment in the
 * lifecycle, as taking it from an AMQP inbox is. Asking for an item that is not this endpoint's
 * gets the same answer as asking for one that does not exist, and is recorded.
 */
@Injectable()
export class FetchPullItem {
  constructor(
    private readonly inbox: PullInboxRepository,
    private readonly acknowledge: AcknowledgeDelivery,
    private readonly refusals: BridgeRefusals,
    private readonly clock: Clock,
  ) {}

  async execute(command: {
    transport: TransportName;
    endpoint: string;
    docId: string;
    remote: string | null;
  }): Promise<FetchPullItemResult> {
    const found = isUuid(command.docId) ? await this.inbox.fetch(command.endpoint, command.docId) : null;
    if (!found) {
      const reason = `no document ${command.docId.slice(0, 100)} waiting for ${command.endpoint}`;
      await this.refusals.record({
        at: this.clock.now(),
        transport: command.transport,
        operation: 'fetch',
        claimed: command.endpoint,
        code: 'NOT_FOUND',
        reason,
        remote: command.remote,
      });
      return { ok: false, code: 'NOT_FOUND', reason };
    }
    if (found.item.messageType === 'edoc') {
      await this.acknowledge.execute({
        transport: command.transport,
        authenticatedRecipient: command.endpoint,
        busId: found.item.docId,
        transportMessageId: null,
        body: Buffer.from(JSON.stringify({ busId: found.item.docId })),
        receivedAt: this.clock.now(),
      });
    }
    return { ok: true, item: found.item, size: found.size, chunks: () => found.chunks() };
  }
}
