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

/** An archived month's rows and bytes, as a restore reads them back from its set. */
export interface RestoreSource {
  records(records: ArchivedRecords): AsyncIterable<Record<string, unknown>>;
  body(name: string): Promise<Uint8Array>;
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
  /**
   * Puts an archived month back, read-only: its partitions rebuilt from `source` and attached,
   * every change to them refused. Returns how many packages came back.
   */
  abstract restore(month: Month, source: RestoreSource): Promise<number>;
  /** Detaches and drops a restored month again (its set stays where it is). */
  abstract release(month: Month): Promise<void>;
  /** Archived months not purged yet, oldest first. */
  abstract archivedMonths(): Promise<RetiredMonth[]>;
  /** Months purged already (their sets may still need deleting after a crash). */
  abstract purgedMonths(): Promise<Month[]>;
  /**
   * Forgets an archived month past the retention period, in one transaction: its documents' keys
   * leave the register, the month is marked purged, and an audit entry says what went (the month,
   * the set's manifest digest, how many packages and keys) so that the chain still accounts for it.
   */
  abstract forget(month: Month): Promise<{ keys: number }>;
  /** Whether the month is archived, and whether it is restored at the moment. */
  abstract archiveState(month: Month): Promise<'archived' | 'restored' | null>;
}
