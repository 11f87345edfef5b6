import { Injectable } from '@nestjs/common';
import type { DeadLetter } from '../dead-letter';
import { DeadLetterRepository } from '../dead-letter-repository.port';

/** Keeps a message that reached the dead-letter queue; the same death recorded twice is one row. */
@Injectable()
export class RecordDeadLetter {
  constructor(private readonly repository: DeadLetterRepository) {}

  async execute(letter: DeadLetter): Promise<{ stored: boolean }> {
    return { stored: await this.repository.record(letter) };
  }
}
