import { Injectable } from '@nestjs/common';
import { Clock } from '../../shared/clock';
import { isUuid } from '../../shared/ids';
import { DeadLetterRepository, DeadLetterRepublisher } from '../dead-letter-repository.port';

export interface RedeliverDeadLetterCommand {
  id: string;
  /** Who asks (an operator account): recorded with the redelivery. */
  actor: string;
  /** Why it is safe to try again now (the fix, the ticket): recorded with the redelivery. */
  reason: string;
}

export type RedeliverOutcome =
  | { outcome: 'redelivered'; queue: string; redeliveries: number }
  | { outcome: 'not-found' }
  | { outcome: 'refused'; why: string };

/**
 * Sends a dead letter back to the queue it died in, recording who, why and when. The message keeps
 * its id, so the bus and the SDK still recognise a copy they had already handled.
 */
@Injectable()
export class RedeliverDeadLetter {
  constructor(
    private readonly repository: DeadLetterRepository,
    private readonly republisher: DeadLetterRepublisher,
    private readonly clock: Clock,
  ) {}

  async execute(command: RedeliverDeadLetterCommand): Promise<RedeliverOutcome> {
    if (!command.actor.trim()) return { outcome: 'refused', why: 'an operator name is required' };
    if (command.reason.trim().length < 3)
      return { outcome: 'refused', why: 'a reason is required (what was fixed)' };
    if (!isUuid(command.id)) return { outcome: 'not-found' };
    const letter = await this.repository.find(command.id);
    if (!letter) return { outcome: 'not-found' };
    await this.repository.recordRedelivery(
      letter.id,
      { actor: command.actor.trim(), reason: command.reason.trim(), at: this.clock.now() },
      () => this.republisher.republish(letter),
    );
    return { outcome: 'redelivered', queue: letter.queue, redeliveries: letter.redeliveries.length + 1 };
  }
}
