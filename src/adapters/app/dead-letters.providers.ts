import type { Provider } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { DeadLetter } from '../../modules/dead-letters/dead-letter';
import {
  DeadLetterRepository,
  DeadLetterRepublisher,
} from '../../modules/dead-letters/dead-letter-repository.port';
import {
  ListDeadLetters,
  ShowDeadLetter,
} from '../../modules/dead-letters/use-cases/list-dead-letters.use-case';
import { RecordDeadLetter } from '../../modules/dead-letters/use-cases/record-dead-letter.use-case';
import { RedeliverDeadLetter } from '../../modules/dead-letters/use-cases/redeliver-dead-letter.use-case';
import { PgDeadLetterRepository } from '../postgres/pg-dead-letter.repository';
import { PgPullInbox } from '../postgres/pg-pull-inbox.repository';
import { AmqpRuntime } from './amqp-runtime';

/** Dead letters go back where they died: a broker queue, or a polling endpoint's pull inbox. */
class ChannelRepublisher extends DeadLetterRepublisher {
  constructor(
    private readonly broker: DeadLetterRepublisher,
    private readonly pull: PgPullInbox,
  ) {
    super();
  }

  republish(letter: DeadLetter): Promise<void> {
    return letter.channel === 'pull' ? this.pull.restore(letter) : this.broker.republish(letter);
  }
}

/** modules/dead-letters: what the broker gave up on, kept and redelivered by an operator. */
export function deadLetterProviders(): Provider[] {
  return [
    { provide: DeadLetterRepository, useClass: PgDeadLetterRepository },
    {
      provide: DeadLetterRepublisher,
      useFactory: (amqp: AmqpRuntime, db: DataSource) =>
        new ChannelRepublisher(amqp.republisher, new PgPullInbox(db)),
      inject: [AmqpRuntime, DataSource],
    },
    RecordDeadLetter,
    ListDeadLetters,
    ShowDeadLetter,
    RedeliverDeadLetter,
  ];
}
