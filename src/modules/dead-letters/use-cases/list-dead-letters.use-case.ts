import { Injectable } from '@nestjs/common';
import type { DeadLetterDetail, DeadLetterSummary } from '../dead-letter';
import { DeadLetterRepository, type DeadLetterFilter } from '../dead-letter-repository.port';

@Injectable()
export class ListDeadLetters {
  constructor(private readonly repository: DeadLetterRepository) {}

  async execute(filter: Partial<DeadLetterFilter> = {}): Promise<DeadLetterSummary[]> {
    return this.repository.list({ ...filter, limit: Math.min(Math.max(filter.limit ?? 50, 1), 1000) });
  }
}

@Injectable()
export class ShowDeadLetter {
  constructor(private readonly repository: DeadLetterRepository) {}

  async execute(id: string): Promise<DeadLetterDetail | null> {
    return this.repository.find(id);
  }
}
