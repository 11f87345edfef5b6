import type { DataSource, EntityManager } from 'typeorm';
import type { ArchivedRecords } from '../../modules/retention/domain/archive-set';
import type { Month } from '../../modules/retention/domain/month';
import { MONTH_PATTERN } from '../../modules/retention/domain/month';
import {
  MonthRecords,
  type MonthSnapshot,
  type RestoreSource,
  type RetiredMonth,
} from '../../modules/retention/month-records.port';
import { Sql } from './sql';

const PAGE = 1000;

/** Each kind of record: its table, the key it is read in order of, and columns left out. */
const SOURCES: Record<ArchivedRecords, { table: string; key: string[]; omit?: string }> = {
  packages: { table: 'package', key: ['id'] },
  deliveries: { table: 'delivery', key: ['package_id', 'recipient'] },
  'trace-events': { table: 'trace_event', key: ['package_id', 'id'] },
  receipts: { table: 'receipt', key: ['id'] },
  quarantine: { table: 'quarantine', key: ['id'] },
  'bridge-refusals': { table: 'bridge_refusal', key: ['id', 'at'] },
};

/** Detached before the tables they reference. */
const DETACH_ORDER = [
  'package_content',
  'delivery',
  'trace_event',
  'receipt',
  'quarantine',
  'bridge_refusal',
  'package',
];

/** `package_2024_05` for ('package', '2024-05'); the month is checked, so the name is safe in SQL. */
function partition(table: string, month: Month): string {
  if (!MONTH_PATTERN.test(month)) throw new Error(`not a month: ${month}`);
  return `${table}_${month.replace('-', '_')}`;
}

/**
 * The months of the partitioned tables (migration 1733200000000). A month is read in one
 * REPEATABLE READ snapshot, rows as JSON (`to_jsonb`: bytea as \x hex, times as ISO 8601, which
 * `jsonb_populate_record` reads back on a restore); retired in one transaction that re-checks the
 * month's fingerprint under a lock, records the archive and detaches every partition, so a status
 * arriving meanwhile is either in the set or refused by the re-check. The detach (not CONCURRENTLY,
 * which cannot run in a transaction) holds the parent tables for a few milliseconds once a month.
 */
export class PgMonthRecords extends MonthRecords {
  private readonly sql: Sql;

  constructor(private readonly db: DataSource) {
    super();
    this.sql = new Sql(db);
  }

  async monthsInDatabase(): Promise<Month[]> {
    const rows = await this.sql.rows<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'package'::regclass ORDER BY 1`,
    );
    // A month restored from the archive is there to be read, not archived again.
    const archived = new Set(
      (await this.sql.rows<{ month: Month }>(`SELECT month FROM archived_month`)).map((r) => r.month),
    );
    return rows
      .map((r) => r.name.replace(/^package_(\d{4})_(\d{2})$/, '$1-$2'))
      .filter((m) => MONTH_PATTERN.test(m) && !archived.has(m));
  }

  async unsettled(month: Month): Promise<number> {
    const [row] = await this.sql.rows<{ n: number }>(
      `SELECT (SELECT count(*) FROM ${partition('delivery', month)} WHERE state IN ('queued', 'delivered', 'arrived'))
            + (SELECT count(*) FROM outbox o JOIN ${partition('package', month)} p ON p.id = o.package_id)
            + (SELECT count(*) FROM outbox o JOIN ${partition('receipt', month)} r ON r.id = o.receipt_id)
            + (SELECT count(*) FROM pull_item i JOIN ${partition('package', month)} p ON p.id = i.package_id
                WHERE i.state = 'pending')
            + (SELECT count(*) FROM pull_item i JOIN ${partition('receipt', month)} r ON r.id = i.receipt_id
                WHERE i.state = 'pending') AS n`,
    );
    return Number(row?.n ?? 0);
  }

  async read<T>(month: Month, read: (snapshot: MonthSnapshot) => Promise<T>): Promise<T> {
    const runner = this.db.createQueryRunner();
    await runner.connect();
    try {
      await runner.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const result = await read(snapshotOf(new Sql(runner.manager), month));
      await runner.query('COMMIT');
      return result;
    } catch (error) {
      await runner.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      await runner.release();
    }
  }

  async retire(month: Month, fingerprint: string, archived: RetiredMonth): Promise<boolean> {
    const done = await this.db.transaction(async (m: EntityManager) => {
      const sql = new Sql(m);
      // Waits for the hot path at most this long (it holds these tables for milliseconds).
      await sql.exec(`SET LOCAL lock_timeout = '10s'`);
      // Nothing of the month may change between the re-check and the detach (receipts included:
      // one about a document is filed in the document's month, whenever it is issued).
      await sql.exec(
        `LOCK TABLE ${['delivery', 'trace_event', 'package', 'receipt'].map((t) => partition(t, month)).join(', ')} IN SHARE MODE`,
      );
      if ((await snapshotOf(sql, month).fingerprint()) !== fingerprint) return false;
      const from = partition('package', month);
      // Items the bridges have settled keep no reference to a month that leaves.
      await sql.exec(`DELETE FROM pull_item i USING ${from} p WHERE p.id = i.package_id`);
      await sql.exec(
        `DELETE FROM pull_item i USING ${partition('receipt', month)} r WHERE r.id = i.receipt_id`,
      );
      // Who got each document, for the index of archived documents (the register has the rest).
      await sql.exec(
        `INSERT INTO archived_recipients (package_id, recipients)
         SELECT package_id, array_agg(recipient ORDER BY recipient) FROM ${partition('delivery', month)}
          GROUP BY package_id`,
      );
      await sql.exec(
        `INSERT INTO archived_month (month, location, manifest_sha256, packages, bytes, archived_at)
         VALUES ($1, $2, $3, $4, $5, now())`,
        [month, archived.location, archived.manifestSha256, archived.packages, archived.bytes],
      );
      await sql.exec(
        `INSERT INTO audit_pending (at, kind, parties, package_id, actor, detail)
         VALUES (now(), 'archive.written', '{}', NULL, 'edoc-bus archive', $1::jsonb)`,
        [
          JSON.stringify({
            month,
            location: archived.location,
            manifestSha256: archived.manifestSha256,
            packages: archived.packages,
            bytes: archived.bytes,
          }),
        ],
      );
      // Dropped in the same transaction: a detached copy of delivery_… keeps its foreign key to
      // package, which would refuse the package partition's own detach.
      for (const table of DETACH_ORDER) {
        await sql.exec(`ALTER TABLE ${table} DETACH PARTITION ${partition(table, month)}`);
        await sql.exec(`DROP TABLE ${partition(table, month)}`);
      }
      return true;
    });
    return done;
  }

  async archivedMonths(): Promise<RetiredMonth[]> {
    const rows = await this.sql.rows<{
      month: Month;
      location: string;
      manifest_sha256: string;
      packages: number;
      bytes: string;
    }>(
      `SELECT month, location, manifest_sha256, packages, bytes FROM archived_month
        WHERE purged_at IS NULL ORDER BY month`,
    );
    return rows.map((r) => ({
      month: r.month,
      location: r.location,
      manifestSha256: r.manifest_sha256,
      packages: r.packages,
      bytes: Number(r.bytes),
    }));
  }

  async purgedMonths(): Promise<Month[]> {
    const rows = await this.sql.rows<{ month: Month }>(
      `SELECT month FROM archived_month WHERE purged_at IS NOT NULL ORDER BY month`,
    );
    return rows.map((r) => r.month);
  }

  async forget(month: Month): Promise<{ keys: number }> {
    return this.db.transaction(async (m: EntityManager) => {
      const sql = new Sql(m);
      const [row] = await sql.rows<{ keys: number }>(
        // The month's keys: its ids (UUIDv7) lie between the month's bounds.
        `WITH b AS (SELECT from_value::uuid AS f, to_value::uuid AS t FROM edoc_month_bounds('uuid7', ($1 || '-01')::date)),
              gone AS (DELETE FROM package_register r USING b WHERE r.package_id >= b.f AND r.package_id < b.t RETURNING 1),
              recipients AS (DELETE FROM archived_recipients x USING b WHERE x.package_id >= b.f AND x.package_id < b.t)
         SELECT count(*)::int AS keys FROM gone`,
        [month],
      );
      const keys = row?.keys ?? 0;
      await sql.exec(
        `INSERT INTO audit_pending (at, kind, parties, package_id, actor, detail)
         SELECT now(), 'archive.purged', '{}', NULL, 'edoc-bus archive',
                jsonb_build_object('month', month, 'manifestSha256', manifest_sha256, 'packages', packages,
                                   'location', location, 'registerKeys', $2::int)
           FROM archived_month WHERE month = $1`,
        [month, keys],
      );
      await sql.exec(`UPDATE archived_month SET purged_at = now() WHERE month = $1`, [month]);
      return { keys };
    });
  }

  async archiveState(month: Month): Promise<'archived' | 'restored' | null> {
    const [row] = await this.sql.rows<{ restored: boolean }>(
      `SELECT to_regclass($2) IS NOT NULL AS restored FROM archived_month WHERE month = $1 AND purged_at IS NULL`,
      [month, partition('package', month)],
    );
    return row ? (row.restored ? 'restored' : 'archived') : null;
  }

  async restore(month: Month, source: RestoreSource): Promise<number> {
    return this.db.transaction(async (m: EntityManager) => {
      const sql = new Sql(m);
      const tables = ['package', ...DETACH_ORDER.filter((t) => t !== 'package')];
      for (const table of tables)
        await sql.exec(
          `CREATE TABLE ${partition(table, month)} (LIKE ${table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`,
        );
      let packages = 0;
      for (const records of Object.keys(SOURCES) as ArchivedRecords[]) {
        const table = partition(SOURCES[records].table, month);
        let batch: Record<string, unknown>[] = [];
        const flush = async () => {
          if (batch.length === 0) return;
          await sql.exec(
            `INSERT INTO ${table} SELECT * FROM jsonb_populate_recordset(NULL::${SOURCES[records].table}, $1::jsonb)`,
            [JSON.stringify(batch)],
          );
          batch = [];
        };
        for await (const row of source.records(records)) {
          if (records === 'packages') {
            const { content_sha256: name, ...rest } = row;
            // The bytes as they were received: byte for byte from the set.
            await sql.exec(
              `INSERT INTO ${partition('package_content', month)} (package_id, body) VALUES ($1, $2)`,
              [rest['id'], Buffer.from(await source.body(String(name)))],
            );
            batch.push(rest);
            packages += 1;
          } else batch.push(row);
          if (batch.length >= PAGE) await flush();
        }
        await flush();
      }
      // Attached under the same bounds as made ahead; every row is checked against them.
      for (const table of tables) {
        // The same bounds the calendar gives the month (edoc_month_bounds, by the table's key).
        const [bounds] = await sql.rows<{ from_value: string; to_value: string }>(
          `SELECT b.from_value, b.to_value FROM partitioned_table t, edoc_month_bounds(t.key_type, ($2 || '-01')::date) b
            WHERE t.name = $1`,
          [table, month],
        );
        await sql.exec(
          `ALTER TABLE ${table} ATTACH PARTITION ${partition(table, month)}
             FOR VALUES FROM (${quoteLiteral(bounds!.from_value)}) TO (${quoteLiteral(bounds!.to_value)})`,
        );
        await sql.exec(
          `CREATE TRIGGER archived_read_only BEFORE INSERT OR UPDATE OR DELETE ON ${partition(table, month)}
             FOR EACH ROW EXECUTE FUNCTION edoc_refuse_archived_change()`,
        );
      }
      await sql.exec(
        `INSERT INTO audit_pending (at, kind, parties, package_id, actor, detail)
         VALUES (now(), 'archive.restored', '{}', NULL, 'edoc-bus archive', jsonb_build_object('month', $1::text))`,
        [month],
      );
      return packages;
    });
  }

  async release(month: Month): Promise<void> {
    await this.db.transaction(async (m: EntityManager) => {
      const sql = new Sql(m);
      await sql.exec(`SET LOCAL lock_timeout = '10s'`);
      for (const table of DETACH_ORDER) {
        await sql.exec(`ALTER TABLE ${table} DETACH PARTITION ${partition(table, month)}`);
        await sql.exec(`DROP TABLE ${partition(table, month)}`);
      }
      await sql.exec(
        `INSERT INTO audit_pending (at, kind, parties, package_id, actor, detail)
         VALUES (now(), 'archive.released', '{}', NULL, 'edoc-bus archive', jsonb_build_object('month', $1::text))`,
        [month],
      );
    });
  }
}

/** A value as an SQL literal (ATTACH PARTITION takes no parameters). */
function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

function snapshotOf(sql: Sql, month: Month): MonthSnapshot {
  return {
    async *pages(records: ArchivedRecords) {
      const source = SOURCES[records];
      const table = partition(source.table, month);
      const key = source.key.join(', ');
      let after: unknown[] | null = null;
      for (;;) {
        const where: string = after
          ? `WHERE (${key}) > (${source.key.map((_, i) => `$${i + 1}`).join(', ')})`
          : '';
        const rows: { row: Record<string, unknown>; k: unknown[] }[] = await sql.rows(
          `SELECT to_jsonb(t) AS row, ARRAY[${source.key.map((k) => `t.${k}::text`).join(', ')}] AS k
             FROM ${table} t ${where} ORDER BY ${key} LIMIT ${PAGE}`,
          after ?? [],
        );
        if (rows.length === 0) return;
        yield rows.map((r) => r.row);
        after = rows[rows.length - 1]!.k;
        if (rows.length < PAGE) return;
      }
    },
    async bodies(packageIds: string[]) {
      const rows = await sql.rows<{ package_id: string; body: Buffer }>(
        `SELECT package_id, body FROM ${partition('package_content', month)} WHERE package_id = ANY($1::uuid[])`,
        [packageIds],
      );
      return new Map(rows.map((r) => [r.package_id, r.body]));
    },
    async fingerprint() {
      const [row] = await sql.rows<{ f: string }>(
        `SELECT concat_ws('/',
           (SELECT count(*) || ':' || coalesce(max(id), 0) FROM ${partition('trace_event', month)}),
           (SELECT count(*) || ':' || coalesce(max(state_at)::text, '') FROM ${partition('delivery', month)}),
           (SELECT count(*) FROM ${partition('package', month)}),
           (SELECT count(*) FROM ${partition('receipt', month)}),
           (SELECT count(*) FROM ${partition('quarantine', month)}),
           (SELECT count(*) FROM ${partition('bridge_refusal', month)})) AS f`,
      );
      return row!.f;
    },
  };
}
