import { Logger } from '@nestjs/common';
import type { FlagOverdueCopies } from '../../modules/delivery/use-cases/flag-overdue-copies.use-case';
import type { BusMetrics } from '../http/metrics';

/**
 * Runs the deadline check every few seconds on a serving bus. Several bus processes may run it at
 * once: the use case marks each copy under a guarded update, so a sender is told once.
 */
export class DeadlineSweeper {
  private readonly logger = new Logger('deadlines');
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly flagOverdue: FlagOverdueCopies,
    private readonly metrics: BusMetrics,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    this.schedule(this.intervalMs);
  }

  /** One pass now (also what the timer runs). */
  async sweep(): Promise<number> {
    const { flagged } = await this.flagOverdue.execute();
    if (flagged > 0) {
      this.metrics.overdueNotices.inc(flagged);
      this.logger.log(`${flagged} cop${flagged === 1 ? 'y' : 'ies'} past deadline; senders notified`);
    }
    return flagged;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.sweep()
        .then(() => undefined)
        .catch((error: unknown) => this.logger.warn(`deadline sweep failed: ${String(error)}`))
        .finally(() => {
          this.running = null;
          this.schedule(this.intervalMs);
        });
    }, delay);
    this.timer.unref();
  }
}
