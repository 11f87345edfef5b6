import { Logger } from '@nestjs/common';
import type { PrepareComingMonths } from '../../modules/retention/use-cases/prepare-coming-months.use-case';

const EVERY_MS = 6 * 3_600_000;

/**
 * Keeps the coming months' partitions ready on a serving bus: once at start (before documents are
 * taken), then every six hours. A failure is logged and tried again at the next tick: three
 * months are ready ahead, so a database that is briefly away costs nothing.
 */
export class MonthCalendar {
  private readonly logger = new Logger('partitions');
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly prepare: PrepareComingMonths) {}

  async start(): Promise<void> {
    await this.tick();
    this.timer = setInterval(() => void this.tick(), EVERY_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private async tick(): Promise<void> {
    try {
      const created = await this.prepare.execute();
      if (created > 0) this.logger.log(`${created} monthly partitions created ahead`);
    } catch (error) {
      this.logger.warn(
        `monthly partitions not prepared: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}
