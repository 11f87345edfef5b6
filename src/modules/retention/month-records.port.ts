import type { ArchivedRecords } from './domain/archive-set';
import type { Month } from './domain/month';

/** One month's rows as the database holds them, read in one consistent snapshot. */
export interface MonthSnapshot {
  /** The month's rows, a page at a time, in key order (packages without their bytes). */
  pages(records: ArchivedRecords): AsyncIterable<Record<string, unknown>[]>;
  /** The bytes of these packages of the month (a page's worth, bounded in size by the caller). */
  bodies(packageIds: string[]): Promise<Map<string, Uint8Array>>;
  /** Changes whenever anything of the month changes (a late status, a new trace event). */
  fingerprint(): Promise<string>;
}

export interface RetiredMonth {
  month: Month;
  location: string;
  manifestSha256: string;
  packages: number;
  bytes: number;
}

/** The months in the hot database and what it takes to let one go. */
export abstract class MonthRecords {
  /** Months whose partitions are attached, oldest first. */
  abstract monthsInDatabase(): Promise<Month[]>;
  /** Copies of the month not yet answered, and notices or items still waiting to go out. */
  abstract unsettled(month: Month): Promise<number>;
  /** Runs `read` in one read-only snapshot of the month. */
  abstract read<T>(month: Month, read: (snapshot: MonthSnapshot) => Promise<T>): Promise<T>;
  /**
   * In one transaction: if the month still matches `fingerprint`, records it as archived (the
   * register, `archived_month`, an audit entry with the manifest's digest), detaches its
   * partitions and drops them. Returns false, changing nothing, if the month changed meanwhile.
   */
  abstract retire(month: Month, fingerprint: string, archived: RetiredMonth): Promise<boolean>;
}
