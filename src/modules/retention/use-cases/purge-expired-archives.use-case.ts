import { Injectable } from '@nestjs/common';
import { Clock } from '../../shared/clock';
import { ArchiveStore } from '../archive-store.port';
import { addMonths, monthOf, type Month } from '../domain/month';
import { MonthRecords } from '../month-records.port';
import { RetentionSettings } from '../retention-settings';

export interface PurgedMonth {
  month: Month;
  packages: number;
  keys: number;
  manifestSha256: string;
}

/**
 * `edoc-bus archive purge`: deletes the archive sets of months older than RETENTION_TOTAL_YEARS
 * (a month restored at the moment waits until it is released). The database forgets first — keys
 * out of the register, the month marked purged, an audit entry naming the set's manifest digest —
 * then the set's files go; a crash in between leaves files that the next run deletes. The audit
 * chain itself is never cut: its entries about those months stay, and still verify.
 */
@Injectable()
export class PurgeExpiredArchives {
  constructor(
    private readonly records: MonthRecords,
    private readonly store: ArchiveStore,
    private readonly clock: Clock,
    private readonly settings: RetentionSettings,
  ) {}

  async execute(): Promise<PurgedMonth[]> {
    const cutoff = addMonths(monthOf(this.clock.now()), -12 * this.settings.totalYears);
    const purged: PurgedMonth[] = [];
    for (const m of await this.records.archivedMonths()) {
      if (m.month >= cutoff) break;
      if ((await this.records.archiveState(m.month)) === 'restored') continue;
      const { keys } = await this.records.forget(m.month);
      await this.store.remove(m.month);
      purged.push({ month: m.month, packages: m.packages, keys, manifestSha256: m.manifestSha256 });
    }
    // Sets a crash left behind after their month was forgotten.
    const present = new Set(await this.store.months());
    for (const month of await this.records.purgedMonths())
      if (present.has(month)) await this.store.remove(month);
    return purged;
  }
}
