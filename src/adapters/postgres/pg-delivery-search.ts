import type { DeliveryLine, DeliverySearch } from '../../modules/console/console-read-model.port';
import { uuid7Floor, uuid7Time } from '../../modules/shared/ids';
import type { Sql } from './sql';

/** Ids are made by the bus's clock; one a little ahead of this machine's is still seen. */
const CLOCK_SKEW_MS = 86_400_000;

/** Up to this many documents matching a subject search are read by their ids. */
const RARE_WORDS = 1000;

/** A range of bus ids: from (inclusive) and until (exclusive), as UUIDv7 floors of two times. */
interface IdRange {
  from: string | null;
  until: string;
}

/**
 * The console's delivery log: newest document first, keyset-paged, any filter.
 *
 * The order is the document's bus id (UUIDv7: the moment it was accepted), the key every month is
 * partitioned by. The newest page is the tail of the newest month's primary key, and a period is
 * a range of ids. The SQL is built from the filters given (a query with every filter optional
 * cannot be planned well), and a search not bounded below reads its newest month first: the
 * planner then considers one month's partitions, not every month the database holds (planning
 * thirty months of two partitioned tables took longer than running the page). Only a page that
 * month cannot fill goes on to the older months.
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
  } else if (s.subject !== null) {
    // Words of a subject: the months' trigram indexes, read without an order, say whether the
    // words are rare (then the page is read by those documents' ids) or common (then the newest
    // documents, read in order, soon fill the page). Ordered by id, the planner would walk every
    // month's documents newest first looking for a rare phrase: seconds, not milliseconds.
    const matches = await sql.rows<{ id: string }>(
      `SELECT p.id FROM package p
        WHERE p.kind = 'edoc' AND p.subject ILIKE $1 AND ($2::text IS NULL OR p.sender = $2)
          AND p.id >= $3::uuid AND p.id < $4::uuid
        LIMIT ${RARE_WORDS + 1}`,
      [
        likePattern(s.subject),
        s.sender,
        uuid7Floor(s.from?.getTime() ?? 0),
        uuid7Floor(Math.min(s.to?.getTime() ?? Infinity, now.getTime() + CLOCK_SKEW_MS)),
      ],
    );
    if (matches.length === 0) return { lines: [], next: null };
    if (matches.length <= RARE_WORDS) packageIds = matches.map((m) => m.id);
  }
  const until = new Date(
    Math.min(
      s.to?.getTime() ?? Infinity,
      cursor ? uuid7Time(cursor.packageId) + 1 : Infinity,
      now.getTime() + CLOCK_SKEW_MS,
    ),
  );
  const newestMonth = Date.UTC(until.getUTCFullYear(), until.getUTCMonth(), 1);
  const from = s.from === null ? null : uuid7Floor(s.from.getTime());
  const page = (ids: IdRange, take: number) => query(sql, s, packageIds, cursor, ids, take);

  let lines: DeliveryLine[];
  if (packageIds !== null || (s.from !== null && s.from.getTime() >= newestMonth)) {
    lines = await page({ from, until: uuid7Floor(until.getTime()) }, limit);
  } else {
    const boundary = uuid7Floor(newestMonth);
    lines = await page({ from: boundary, until: uuid7Floor(until.getTime()) }, limit);
    if (lines.length < limit)
      lines = lines.concat(await page({ from, until: boundary }, limit - lines.length));
  }
  const last = lines[lines.length - 1];
  return {
    lines,
    next: lines.length === limit && last ? encodeCursor(last.busId, last.recipient) : null,
  };
}

async function query(
  sql: Sql,
  s: DeliverySearch,
  packageIds: string[] | null,
  cursor: Cursor | null,
  ids: IdRange,
  limit: number,
): Promise<DeliveryLine[]> {
  const params: unknown[] = [];
  const $ = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  // Copies exist for documents only: the condition lets the planner use package_sent_idx.
  const where: string[] = [`p.kind = 'edoc'`];
  /** The same bound on both sides of the join: each table's partitions are pruned on their own key. */
  const key = (op: '>=' | '<' | '= ANY', value: string | string[]) => {
    const p = op === '= ANY' ? `(${$(value)}::uuid[])` : `${$(value)}::uuid`;
    where.push(`d.package_id ${op} ${p}`, `p.id ${op} ${p}`);
  };
  if (packageIds !== null) key('= ANY', packageIds);
  if (ids.from !== null) key('>=', ids.from);
  key('<', ids.until);
  if (s.sender !== null) where.push(`p.sender = ${$(s.sender)}`);
  if (s.recipient !== null) where.push(`d.recipient = ${$(s.recipient)}`);
  if (s.state !== null) where.push(`d.state = ${$(s.state)}`);
  if (s.priority !== null) where.push(`d.priority = ${$(s.priority)}::int`);
  if (s.subject !== null) where.push(`p.subject ILIKE ${$(likePattern(s.subject))}`);
  if (cursor !== null)
    where.push(`(d.package_id, d.recipient) < (${$(cursor.packageId)}::uuid, ${$(cursor.recipient)})`);
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
  }>(
    `SELECT d.package_id, p.document_id, p.subject, p.sender, d.recipient, d.state, d.state_at, d.priority,
            d.created_at, d.overdue
       FROM delivery d JOIN package p ON p.id = d.package_id
      WHERE ${where.join('\n        AND ')}
      ORDER BY d.package_id DESC, d.recipient DESC
      LIMIT ${$(limit)}`,
    params,
  );
  return rows.map((r) => ({
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

/** `%words%` for ILIKE, the words' own % and _ taken literally. */
function likePattern(words: string): string {
  return `%${words.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

interface Cursor {
  packageId: string;
  recipient: string;
}

function encodeCursor(packageId: string, recipient: string): string {
  return Buffer.from(JSON.stringify([packageId, recipient])).toString('base64url');
}

/** A cursor of another shape (an older console's link) starts again from the newest page. */
function decodeCursor(cursor: string | null): Cursor | null {
  if (!cursor) return null;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Array.isArray(parsed) || parsed.length !== 2) return null;
    const [packageId, recipient] = parsed as [unknown, unknown];
    if (typeof packageId !== 'string' || !/^[0-9a-f-]{36}$/.test(packageId) || typeof recipient !== 'string')
      return null;
    return { packageId, recipient };
  } catch {
    return null;
  }
}
