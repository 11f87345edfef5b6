import { Injectable } from '@nestjs/common';
import { Clock } from '../../shared/clock';
import { monthOf } from '../domain/month';
import { MonthPartitions } from '../month-partitions.port';

/**
 * Months ahead that are always ready: a bus left running over a month's end (or a clock a little
 * ahead) never meets a month without its partitions. Run at start and every few hours.
 */
export const MONTHS_AHEAD = 3;

@Injectable()
export class PrepareComingMonths {
  constructor(
    private readonly partitions: MonthPartitions,
    private readonly clock: Clock,
  ) {}

  /** Returns how many tables were created (0 when every month was ready). */
  async execute(): Promise<number> {
    return this.partitions.ensureMonths(monthOf(this.clock.now()), MONTHS_AHEAD + 1);
  }
}
