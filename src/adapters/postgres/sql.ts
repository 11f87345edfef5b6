import type { DataSource, EntityManager } from 'typeorm';

type Runner = Pick<DataSource | EntityManager, 'query'>;

/**
 * Raw SQL with typed rows. TypeORM's `query` returns `any` (and `[rows, count]` for UPDATE …
 * RETURNING on postgres); both are dealt with here, once.
 */
export class Sql {
  constructor(private readonly runner: Runner) {}

  async rows<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    const result: unknown = await this.runner.query(sql, params);
    if (
      Array.isArray(result) &&
      result.length === 2 &&
      Array.isArray(result[0]) &&
      typeof result[1] === 'number'
    ) {
      return result[0] as T[];
    }
    return result as T[];
  }

  async one<T>(sql: string, params: unknown[] = []): Promise<T | undefined> {
    return (await this.rows<T>(sql, params))[0];
  }

  async exec(sql: string, params: unknown[] = []): Promise<void> {
    await this.runner.query(sql, params);
  }
}
