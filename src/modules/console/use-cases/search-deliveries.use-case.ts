import { Injectable } from '@nestjs/common';
import { ConsoleReadModel, type DeliverySearch } from '../console-read-model.port';

@Injectable()
export class SearchDeliveries {
  constructor(private readonly read: ConsoleReadModel) {}

  execute(search: DeliverySearch, after: string | null, limit = 50) {
    return this.read.searchDeliveries(search, after, Math.max(1, Math.min(200, limit)));
  }
}
