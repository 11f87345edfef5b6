import { uuid7Floor } from '../../modules/shared/ids';
import type { Sql } from './sql';

/** How long a found bound is used before it is looked for again. */
const REFRESH_MS = 5 * 60_000;
/** A copy made by a bus whose clock is a little behind may carry an id of the day before. */
const CLOCK_SKEW_MS = 86_400_000;

/**
 * A lower bound on the ids of copies still in flight (queued, delivered, arrived), so that the
 * console's backlog and waiting counts read the months that can hold them instead of planning
 * every month the database keeps.
 *
 * Why a bound found minutes ago stays true: copies are made only when a document is accepted,
 * with the document's id (the moment of acceptance), so no copy ever appears in a month before
 * the oldest one still in flight; copies only leave the in-flight states. The bound can only
 * become too old (reading a month more than needed), never too new. Found month by month, oldest
 * first, each a probe of one partition's partial index.
 */
export class InFlightMonths {
  private found: { bound: string; at: number } | null = null;

  constructor(private readonly sql: Sql) {}

  async lowerBound(now: number): Promise<string> {
    if (this.found && now - this.found.at < REFRESH_MS) return this.found.bound;
    const months = await this.sql.rows<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'delivery'::regclass ORDER BY 1`,
    );
    let oldest: number | null = null;
    for (const { name } of months) {
      const m = /^delivery_(\d{4})_(\d{2})$/.exec(name);
      if (!m) continue;
      const [any] = await this.sql.rows<{ n: number }>(
        `SELECT 1 AS n FROM ${name} WHERE state IN ('queued', 'delivered', 'arrived') LIMIT 1`,
      );
      if (any) {
        oldest = Date.UTC(Number(m[1]), Number(m[2]) - 1, 1);
        break;
      }
    }
    // None in flight: anything made from now on is the newest.
    const bound = uuid7Floor((oldest ?? now) - CLOCK_SKEW_MS);
    this.found = { bound, at: now };
    return bound;
  }
}
