import { Injectable } from '@nestjs/common';
import { DeliveryRepository } from '../../receipts/delivery.repository';
import type { DocumentTrace } from '../../receipts/domain/document-trace';
import { Clock } from '../../shared/clock';
import { isUuid } from '../../shared/ids';
import { ConsoleReadModel, type ConsoleOverviewFigures, type DeliverySearch } from '../console-read-model';

@Injectable()
export class GetConsoleOverview {
  constructor(
    private readonly read: ConsoleReadModel,
    private readonly clock: Clock,
  ) {}

  execute(): Promise<ConsoleOverviewFigures> {
    return this.read.overview(this.clock.now());
  }
}

@Injectable()
export class SearchDeliveries {
  constructor(private readonly read: ConsoleReadModel) {}

  execute(search: DeliverySearch, after: string | null, limit = 50) {
    return this.read.searchDeliveries(search, after, Math.max(1, Math.min(200, limit)));
  }
}

/** One document as an operator sees it: every recipient's states, whoever sent it. */
@Injectable()
export class GetDocumentTimeline {
  constructor(
    private readonly read: ConsoleReadModel,
    private readonly deliveries: DeliveryRepository,
  ) {}

  async execute(busId: string): Promise<DocumentTrace | null> {
    if (!isUuid(busId)) return null;
    const sender = await this.read.senderOf(busId);
    return sender ? this.deliveries.documentTrace(sender, { busId }) : null;
  }
}
