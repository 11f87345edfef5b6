import type { Provider } from '@nestjs/common';
import { DeadLetterRepository } from '../../modules/dead-letters/dead-letter-repository.port';
import {
  ListDeadLetters,
  ShowDeadLetter,
} from '../../modules/dead-letters/use-cases/list-dead-letters.use-case';
import { RecordDeadLetter } from '../../modules/dead-letters/use-cases/record-dead-letter.use-case';
import { RedeliverDeadLetter } from '../../modules/dead-letters/use-cases/redeliver-dead-letter.use-case';
import { PgDeadLetterRepository } from '../postgres/pg-dead-letter.repository';

/** modules/dead-letters: what the broker gave up on, kept and redelivered by an operator. */
export function deadLetterProviders(): Provider[] {
  return [
    { provide: DeadLetterRepository, useClass: PgDeadLetterRepository },
    RecordDeadLetter,
    ListDeadLetters,
    ShowDeadLetter,
    RedeliverDeadLetter,
  ];
}
