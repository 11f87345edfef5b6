import { Injectable } from '@nestjs/common';
import { Clock } from '../../shared/clock';
import { BridgeSettings } from '../bridge-settings';
import { PullInboxRepository, type PullItem, type PullMessageType } from '../pull-inbox-repository.port';

export interface ListPullItemsQuery {
  endpoint: string;
  types: PullMessageType[];
  /** The poller's own name, if it gives one; otherwise each listing is its own poller. */
  poller: string | null;
  after: string | null;
  limit: number;
}

const MAX_PAGE = 500;

/**
 * A bridge endpoint's pending items, oldest first, one page at a time. What a page returns is
 * reserved for its poller for the listing lease: another poller does not get it as new meanwhile.
 */
@Injectable()
export class ListPullItems {
  constructor(
    private readonly inbox: PullInboxRepository,
    private readonly settings: BridgeSettings,
    private readonly clock: Clock,
  ) {}

  async execute(
    query: ListPullItemsQuery,
  ): Promise<{ items: PullItem[]; next: string | null; poller: string }> {
    const poller = query.poller?.slice(0, 200) || `poll:${crypto.randomUUID()}`;
    const limit = Math.max(1, Math.min(MAX_PAGE, Math.floor(query.limit) || 100));
    const items = await this.inbox.list({
      endpoint: query.endpoint,
      types: query.types,
      poller,
      leaseSeconds: this.settings.listingLeaseSeconds,
      after: query.after,
      limit,
      now: this.clock.now(),
    });
    return { items, next: items.length === limit ? items[items.length - 1]!.cursor : null, poller };
  }
}
