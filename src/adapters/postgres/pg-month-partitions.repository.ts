import type { DataSource } from 'typeorm';
import { MonthPartitions } from '../../modules/retention/month-partitions.port';
import { Sql } from './sql';

/** Months are created by `edoc_ensure_months` (migration 1733200000000), which knows every partitioned table. */
export class PgMonthPartitions extends MonthPartitions {
  private readonly sql: Sql;

  constructor(db: DataSource) {
    super();
    this.sql = new Sql(db);
  }

  async ensureMonths(firstMonth: string, count: number): Promise<number> {
    const row = await this.sql.one<{ created: number }>(
      `SELECT edoc_ensure_months(($1 || '-01')::date, $2) AS created`,
      [firstMonth, count],
    );
    return row?.created ?? 0;
  }
}
