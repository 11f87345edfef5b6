import type { DeliveryLine, DeliverySearch } from '../../modules/console/console-read-model';
import { uuid7Floor } from '../../modules/shared/ids';
import type { Sql } from './sql';

/**
 * A row is written within a day of the moment its UUIDv7 id was made (the partition key), so a
 * bound on `created_at` widened by a day is a bound on the id: the planner then reads only the
 * months it needs. The margin also keeps rows made across midnight at a month's end.
 */
const MARGIN_MS = 86_400_000;

interface Bounds {
  /** created_at ≥ from */
  from: Date | null;
  /** created_at < until */
  until: Date | null;
}

/**
 * The console's delivery log: newest first, keyset-paged, any filter. The SQL is built from the
 * filters given (a query with every filter optional cannot be planned well), and an unbounded
 * search reads its newest month first: the planner then considers two months of partitions, not
 * every month the database holds (planning 30 months of two partitioned tables took longer than
 * running the page). Only when that month cannot fill the page are the older months read.
 */
export async function searchDeliveries(
  sql: Sql,
  s: DeliverySearch,
  after: string | null,
  limit: number,
  now: Date,
): Promise<{ lines: DeliveryLine[]; next: string | null }> {
  const cursor = decodeCursor(after);
  let packageIds: string[] | null = null;
  if (s.documentId !== null) {
    // The register knows a DocumentId's packages (one index, not one probe per month), and their
    // ids name their months.
    const rows = await sql.rows<{ package_id: string }>(
      `SELECT package_id FROM package_register WHERE document_id = $1`,
      [s.documentId],
    );
    if (rows.length === 0) return { lines: [], next: null };
    packageIds = rows.map((r) => r.package_id);
  }
  const until = earliest(s.to, cursor ? new Date(cursor.at.getTime() + 1) : null) ?? now;
  const newestMonth = new Date(Date.UTC(until.getUTCFullYear(), until.getUTCMonth(), 1));
  const page = (bounds: Bounds, take: number) => query(sql, s, packageIds, cursor, bounds, take, now);

  let lines: Array<DeliveryLine & { createdKey: string }>;
  if (packageIds !== null || (s.from !== null && s.from >= newestMonth)) {
    lines = await page({ from: s.from, until: s.to }, limit);
  } else {
    lines = await page({ from: newestMonth, until: s.to }, limit);
    if (lines.length < limit)
      lines = lines.concat(await page({ from: s.from, until: newestMonth }, limit - lines.length));
  }
  const last = lines[lines.length - 1];
  return {
    lines: lines.map(({ createdKey: _, ...line }) => line),
    next: lines.length === limit && last ? encodeCursor(last.createdKey, last.busId, last.recipient) : null,
  };
}

async function query(
  sql: Sql,
  s: DeliverySearch,
  packageIds: string[] | null,
  cursor: Cursor | null,
  bounds: Bounds,
  limit: number,
  now: Date,
): Promise<Array<DeliveryLine & { createdKey: string }>> {
  const params: unknown[] = [];
  const $ = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  const where: string[] = [];
  /** The same bound on both sides of the join: each table's partitions are pruned on their own key. */
  const key = (op: '>=' | '<' | '= ANY', value: string | string[]) => {
    const p = op === '= ANY' ? `(${$(value)}::uuid[])` : `${$(value)}::uuid`;
    where.push(`d.package_id ${op} ${p}`, `p.id ${op} ${p}`);
  };
  if (packageIds !== null) key('= ANY', packageIds);
  if (s.sender !== null) where.push(`p.sender = ${$(s.sender)}`);
  if (s.recipient !== null) where.push(`d.recipient = ${$(s.recipient)}`);
  if (s.state !== null) where.push(`d.state = ${$(s.state)}`);
  if (s.priority !== null) where.push(`d.priority = ${$(s.priority)}::int`);
  if (s.subject !== null)
    where.push(`p.subject ILIKE ${$(`%${s.subject.replace(/[\\%_]/g, (c) => `\\${c}`)}%`)}`);
  if (bounds.from !== null) {
    where.push(`d.created_at >= ${$(bounds.from)}`);
    key('>=', uuid7Floor(bounds.from.getTime() - MARGIN_MS));
  }
  if (bounds.until !== null) where.push(`d.created_at < ${$(bounds.until)}`);
  if (cursor !== null)
    where.push(
      `(d.created_at, d.package_id, d.recipient) < (${$(cursor.key)}::timestamptz, ${$(cursor.packageId)}::uuid, ${$(cursor.recipient)})`,
    );
  // No row is newer than now; the months made ahead of time need not be planned.
  const until = earliest(bounds.until, cursor?.at ?? null, now)!;
  key('<', uuid7Floor(until.getTime() + MARGIN_MS));
  const rows = await sql.rows<{
    package_id: string;
    document_id: string;
    subject: string | null;
    sender: string;
    recipient: string;
    state: string;
    state_at: Date;
    priority: number;
    created_at: Date;
    overdue: string | null;
    created_key: string;
  }>(
    `SELECT d.package_id, p.document_id, p.subject, p.sender, d.recipient, d.state, d.state_at, d.priority,
            d.created_at, d.overdue,
            -- The cursor keeps the microseconds a Date would drop (rows of one millisecond).
            to_char(d.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_key
       FROM delivery d JOIN package p ON p.id = d.package_id
      WHERE ${where.join('\n        AND ')}
      ORDER BY d.created_at DESC, d.package_id DESC, d.recipient DESC
      LIMIT ${$(limit)}`,
    params,
  );
  return rows.map((r) => ({
    createdKey: r.created_key,
    busId: r.package_id,
    documentId: r.document_id,
    subject: r.subject,
    sender: r.sender,
    recipient: r.recipient,
    state: r.state,
    stateAt: r.state_at,
    priority: r.priority,
    createdAt: r.created_at,
    overdue: r.overdue,
  }));
}

function earliest(...times: Array<Date | null>): Date | null {
  const given = times.filter((t): t is Date => t !== null);
  return given.length === 0 ? null : new Date(Math.min(...given.map((t) => t.getTime())));
}

interface Cursor {
  /** The row's created_at to the microsecond (ISO text), and as a Date for the month arithmetic. */
  key: string;
  at: Date;
  packageId: string;
  recipient: string;
}

function encodeCursor(key: string, packageId: string, recipient: string): string {
  return Buffer.from(JSON.stringify([key, packageId, recipient])).toString('base64url');
}

function decodeCursor(cursor: string | null): Cursor | null {
  if (!cursor) return null;
  try {
    const [at, packageId, recipient] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [
      string,
      string,
      string,
    ];
    const date = new Date(at);
    if (
      typeof at !== 'string' ||
      !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$/.test(at) ||
      Number.isNaN(date.getTime()) ||
      !/^[0-9a-f-]{36}$/.test(packageId) ||
      typeof recipient !== 'string'
    )
      return null;
    return { key: at, at: date, packageId, recipient };
  } catch {
    return null;
  }
}
