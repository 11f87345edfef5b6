/** How long months stay in the hot database before `archive run` takes them (RETENTION_HOT_MONTHS). */
export abstract class RetentionSettings {
  abstract readonly hotMonths: number;
  /** How long a document is kept at all, archive included (RETENTION_TOTAL_YEARS). */
  abstract readonly totalYears: number;
}
