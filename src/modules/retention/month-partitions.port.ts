/**
 * The months the database is ready to store. Tables that grow with traffic are partitioned by
 * month with no catch-all partition, so a month must exist before its first row arrives.
 */
export abstract class MonthPartitions {
  /** Creates what is missing for `count` months from `firstMonth` (YYYY-MM, UTC); returns how many tables it made. */
  abstract ensureMonths(firstMonth: string, count: number): Promise<number>;
}
