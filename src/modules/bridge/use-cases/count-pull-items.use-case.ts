import { Injectable } from '@nestjs/common';
import { PullInboxRepository, type PullMessageType } from '../pull-inbox-repository.port';

/** How many items wait in a bridge endpoint's inbox (the axis SDK's countReceiveEdoc / countReceiveStatus). */
@Injectable()
export class CountPullItems {
  constructor(private readonly inbox: PullInboxRepository) {}

  execute(query: { endpoint: string; types: PullMessageType[] }): Promise<number> {
    return this.inbox.countPending(query.endpoint, query.types);
  }
}
