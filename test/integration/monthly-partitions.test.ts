import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { MIGRATIONS } from '../../src/adapters/postgres/database';
import { PgConsoleReadModel } from '../../src/adapters/postgres/pg-console-read-model.repository';
import { PgDeliveryRepository } from '../../src/adapters/postgres/pg-delivery.repository';
import { uuid7 } from '../../src/modules/shared/ids';
import { migrateDatabase } from '../support/migrations';
import { testServices, waitFor } from '../support/infrastructure';
import { documentPackage } from '../support/packages';
import { TestBus } from '../support/test-bus';

const G22 = '000.00.00.G22';
const H41 = '000.00.00.H41';
const MONTHLY = MIGRATIONS.findIndex((m) => m.name === 'MonthlyPartitions1733200000000');

/** `YYYY_MM` of the month `offset` months from now (UTC), as partition names end. */
function monthSuffix(offset: number): string {
  const now = new Date();
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + offset, 1));
  return `${d.getUTCFullYear()}_${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** The 15th of the month `offset` months from now, noon UTC. */
function midMonth(offset: number): Date {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + offset, 15, 12));
}

/** The relations a plan reads (its scans' relation names). */
function relationsIn(plan: unknown): string[] {
  const found: string[] = [];
  const walk = (node: Record<string, unknown>) => {
    if (typeof node['Relation Name'] === 'string') found.push(node['Relation Name']);
    for (const child of (node['Plans'] as Record<string, unknown>[] | undefined) ?? []) walk(child);
  };
  walk((plan as [{ Plan: Record<string, unknown> }])[0].Plan);
  return found;
}

describe('monthly partitions', () => {
  it('the migration moves every existing row into its month, keeps the keys and writes nothing to the audit log', async () => {
    const name = `edoc_test_partitions_${randomBytes(4).toString('hex')}`;
    const server = new URL(testServices().databaseUrl);
    const admin = new Client({ connectionString: server.toString() });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    server.pathname = `/${name}`;
    const url = server.toString();
    const db = new Client({ connectionString: url });
    try {
      await migrateDatabase(url, MONTHLY);
      await db.connect();
      const old = uuid7(midMonth(-2).getTime());
      const recent = uuid7(midMonth(-1).getTime());
      const status = uuid7(midMonth(-1).getTime() + 1000);
      const receipt = uuid7(midMonth(-1).getTime() + 2000);
      const quarantined = uuid7(midMonth(-2).getTime() + 3000);
      await db.query(
        `INSERT INTO package (id, kind, sender, document_id, business_doc_type, related_package_id, sha256, size_bytes, transport, received_at, accepted_at)
         VALUES ($1, 'edoc', $4, 'D-1', 0, NULL, '\\x01', 10, 'amqp', $5, $5),
                ($2, 'edoc', $4, 'D-1', 2, $1, '\\x02', 10, 'amqp', $6, $6),
                ($3, 'status', $7, 'D-1', NULL, $1, '\\x03', 10, 'amqp', $6, $6)`,
        [old, recent, status, G22, midMonth(-2), midMonth(-1), H41],
      );
      await db.query(`INSERT INTO package_content VALUES ($1, '\\x00'), ($2, '\\x00'), ($3, '\\x00')`, [
        old,
        recent,
        status,
      ]);
      await db.query(
        `INSERT INTO delivery (package_id, recipient, addressed_to, state, state_at, created_at, change_kind, change_state, change_package_id)
         VALUES ($1, $3, $3, 'completed', now(), now(), 'update', 'agreed', $2)`,
        [old, recent, H41],
      );
      await db.query(
        `INSERT INTO trace_event (package_id, recipient, event, source, at) VALUES ($1, $2, 'status', 'bus', now())`,
        [old, H41],
      );
      await db.query(
        `INSERT INTO quarantine (id, received_at, transport, reason_code, reason_text, details, sha256, size_bytes, body, body_truncated)
         VALUES ($1, now(), 'amqp', 'XML_MALFORMED', 'bad', '{}', '\\x04', 1, '\\x00', false)`,
        [quarantined],
      );
      await db.query(
        `INSERT INTO receipt (id, recipient, package_id, quarantine_id, outcome, body, issued_at)
         VALUES ($1, $2, $3, NULL, 'accepted', '\\x00', now())`,
        [receipt, G22, status],
      );
      await db.query(
        `INSERT INTO bridge_refusal (at, transport, operation, code, reason) VALUES ($1, 'axis', 'getList', 'AUTH', 'x')`,
        [midMonth(-2)],
      );
      const audited = async () =>
        (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_pending`)).rows[0]!.n;
      const auditedBefore = await audited();

      await migrateDatabase(url, MIGRATIONS.length);

      const where = async (table: string, column = 'id') =>
        (
          await db.query<{ part: string }>(
            `SELECT tableoid::regclass::text AS part FROM ${table} ORDER BY ${column}`,
          )
        ).rows.map((r) => r.part);
      expect(await where('package')).toEqual([
        `package_${monthSuffix(-2)}`,
        `package_${monthSuffix(-1)}`,
        `package_${monthSuffix(-1)}`,
      ]);
      expect(await where('package_content', 'package_id')).toEqual([
        `package_content_${monthSuffix(-2)}`,
        `package_content_${monthSuffix(-1)}`,
        `package_content_${monthSuffix(-1)}`,
      ]);
      // A copy, and what happened to it, stay in the month its document was accepted.
      expect(await where('delivery', 'package_id')).toEqual([`delivery_${monthSuffix(-2)}`]);
      expect(await where('trace_event')).toEqual([`trace_event_${monthSuffix(-2)}`]);
      expect(await where('receipt')).toEqual([`receipt_${monthSuffix(-1)}`]);
      expect(await where('quarantine')).toEqual([`quarantine_${monthSuffix(-2)}`]);
      expect(await where('bridge_refusal')).toEqual([`bridge_refusal_${monthSuffix(-2)}`]);
      // This month and the next three are ready.
      const ready = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_class WHERE relname = ANY($1)`,
        [[0, 1, 2, 3].map((k) => `delivery_${monthSuffix(k)}`)],
      );
      expect(ready.rows[0]!.n).toBe(4);
      expect(await audited()).toBe(auditedBefore);

      // The idempotency keys are in the register, and they still refuse a second copy.
      const register = await db.query(
        `SELECT package_id, kind, business_doc_type, encode(sha256, 'hex') AS digest FROM package_register ORDER BY package_id`,
      );
      expect(register.rows).toEqual([
        { package_id: old, kind: 'edoc', business_doc_type: 0, digest: '01' },
        { package_id: recent, kind: 'edoc', business_doc_type: 2, digest: '02' },
        { package_id: status, kind: 'status', business_doc_type: null, digest: '03' },
      ]);
      await expect(
        db.query(
          `INSERT INTO package_register (package_id, kind, sender, document_id, business_doc_type, sha256) VALUES ($1, 'edoc', $2, 'D-1', 0, '\\x09')`,
          [uuid7(Date.now()), G22],
        ),
      ).rejects.toThrow(/package_register_edoc_key/);
      // A copy of a package that does not exist is still refused.
      await expect(
        db.query(
          `INSERT INTO delivery (package_id, recipient, addressed_to, state, state_at, created_at) VALUES ($1, $2, $2, 'queued', now(), now())`,
          [uuid7(Date.now()), H41],
        ),
      ).rejects.toThrow(/foreign key/);
      // A month with no partition refuses its rows instead of hiding them where no archive looks.
      await expect(
        db.query(
          `INSERT INTO package (id, kind, sender, document_id, sha256, size_bytes, transport, received_at, accepted_at)
           VALUES ($1, 'edoc', $2, 'D-far', '\\x05', 1, 'amqp', now(), now())`,
          [uuid7(Date.UTC(2031, 0, 1)), G22],
        ),
      ).rejects.toThrow(/no partition/);
    } finally {
      await db.end().catch(() => undefined);
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  }, 120_000);

  describe('on a running bus', () => {
    let bus: TestBus;

    beforeAll(async () => {
      bus = await TestBus.start();
      await bus.seed();
    }, 120_000);

    afterAll(async () => {
      await bus?.close();
    });

    it('stores documents in this month and finds them again through the register', async () => {
      const [g22, h41] = await Promise.all([bus.inbox(G22), bus.inbox(H41)]);
      const doc = documentPackage(G22, [H41]);
      const receipt = await g22.receiptFor((await g22.client.send(doc.xml)).messageId);
      expect(receipt.outcome).toBe('accepted');
      // The same document again is a duplicate: the key held across months by package_register.
      const again = await g22.receiptFor((await g22.client.send(doc.xml)).messageId);
      expect(again).toMatchObject({ outcome: 'duplicate', busId: receipt.busId });
      await waitFor(() => h41.documents.find((d) => d.busId === receipt.busId), 'the copy at H41');
      const [row] = await bus.query<{ part: string }>(
        `SELECT tableoid::regclass::text AS part FROM delivery WHERE package_id = $1`,
        [receipt.busId],
      );
      expect(row!.part).toBe(`delivery_${monthSuffix(0)}`);
      const trace = await g22.client.trace({ documentId: doc.documentId });
      expect(trace).toMatchObject({ busId: receipt.busId });
    });

    it("reads only the searched period's months in the console's delivery search", async () => {
      await bus.query(`SELECT edoc_ensure_months(($1 || '-01')::date, 3)`, [
        monthSuffix(-2).replace('_', '-'),
      ]);
      let plans: unknown[] = [];
      const explaining = {
        query: async (sql: string, params: unknown[]) => {
          // The page's query is explained; what leads to it (the register's lookup) runs.
          if (!sql.includes('FROM delivery')) return bus.query(sql, params);
          const rows = await bus.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) ${sql}`, params);
          plans.push(rows[0]!['QUERY PLAN']);
          return [];
        },
      } as unknown as DataSource;
      const partitionsIn = (plan: unknown, table: string) =>
        [...new Set(relationsIn(plan).filter((r) => r.startsWith(`${table}_`)))].sort();
      const search = {
        documentId: null,
        sender: null,
        recipient: null,
        state: null,
        subject: null,
        priority: null,
        from: new Date(midMonth(-1).getTime() - 5 * 86_400_000),
        to: new Date(midMonth(-1).getTime() + 5 * 86_400_000),
      };
      await new PgConsoleReadModel(explaining).searchDeliveries(search, null, 50);
      expect(plans).toHaveLength(1);
      expect(partitionsIn(plans[0], 'delivery')).toEqual([`delivery_${monthSuffix(-1)}`]);
      expect(partitionsIn(plans[0], 'package')).toEqual([`package_${monthSuffix(-1)}`]);

      // Without a period, the newest month is read first, and only a page it cannot fill goes on to
      // the older months (here it finds nothing: all of them).
      plans = [];
      await new PgConsoleReadModel(explaining).searchDeliveries(
        { ...search, from: null, to: null },
        null,
        50,
      );
      expect(plans).toHaveLength(2);
      expect(partitionsIn(plans[0], 'delivery')).toEqual([`delivery_${monthSuffix(0)}`]);
      expect(partitionsIn(plans[0], 'package')).toEqual([`package_${monthSuffix(0)}`]);
      expect(partitionsIn(plans[1], 'delivery')).toEqual(
        expect.arrayContaining([`delivery_${monthSuffix(-2)}`, `delivery_${monthSuffix(-1)}`]),
      );
      expect(partitionsIn(plans[1], 'delivery')).not.toContain(`delivery_${monthSuffix(0)}`);

      // By DocumentId, only the months of its packages (the register names them).
      const [known] = await bus.query<{ document_id: string; package_id: string }>(
        `SELECT document_id, package_id FROM package_register WHERE kind = 'edoc' ORDER BY package_id LIMIT 1`,
      );
      plans = [];
      await new PgConsoleReadModel(explaining).searchDeliveries(
        { ...search, from: null, to: null, documentId: known!.document_id },
        null,
        50,
      );
      const monthOfKnown = (
        await bus.query<{ part: string }>(
          `SELECT tableoid::regclass::text AS part FROM delivery WHERE package_id = $1 LIMIT 1`,
          [known!.package_id],
        )
      )[0]!.part;
      expect(plans).toHaveLength(1);
      expect(partitionsIn(plans[0], 'delivery')).toEqual([monthOfKnown]);
    });

    it('pages the delivery log newest document first across months without a gap or a repeat, finds subject words, and traces a document from its own month', async () => {
      const SENDER = '000.00.00.G13'; // sends nothing else in this suite
      const ids: string[] = [];
      for (const [offset, count] of [
        [-2, 2],
        [-1, 3],
        [0, 2],
      ] as const) {
        for (let i = 0; i < count; i++) {
          const at = new Date(Math.min(Date.now() - 60_000, midMonth(offset).getTime() + i * 60_000));
          const id = uuid7(at.getTime());
          ids.push(id);
          await bus.query(
            `INSERT INTO package_register (package_id, kind, sender, document_id, business_doc_type, sha256)
             VALUES ($1, 'edoc', $2, $3, 0, $4)`,
            [id, SENDER, `G13-${id}`, randomBytes(32)],
          );
          await bus.query(
            `INSERT INTO package (id, kind, sender, document_id, sha256, size_bytes, transport, received_at, accepted_at, subject)
             VALUES ($1, 'edoc', $2, $3, '\\x00', 1, 'amqp', $4, $4, $5)`,
            [id, SENDER, `G13-${id}`, at, `Công văn mười ba số ${ids.length}`],
          );
          for (const [k, recipient] of ['000.00.00.H41', '000.00.00.H29', '000.00.00.H20'].entries())
            await bus.query(
              `INSERT INTO delivery (package_id, recipient, addressed_to, state, state_at, created_at)
               VALUES ($1, $2, $2, 'completed', $3, $3::timestamptz + make_interval(secs => $4 / 1e6))`,
              [id, recipient, at, 100 + k * 7],
            );
        }
      }
      const expected = (
        await bus.query<{ package_id: string; recipient: string }>(
          `SELECT package_id, recipient FROM delivery WHERE package_id = ANY($1::uuid[])
            ORDER BY package_id DESC, recipient DESC`,
          [ids],
        )
      ).map((r) => `${r.package_id} ${r.recipient}`);
      expect(expected).toHaveLength(21);
      const console = new PgConsoleReadModel(bus.get(DataSource));
      const search = {
        documentId: null,
        sender: SENDER,
        recipient: null,
        state: null,
        subject: null,
        priority: null,
        from: null,
        to: null,
      };
      const seen: string[] = [];
      let after: string | null = null;
      for (let pages = 0; pages < 20; pages++) {
        const page: Awaited<ReturnType<PgConsoleReadModel['searchDeliveries']>> =
          await console.searchDeliveries(search, after, 4);
        seen.push(...page.lines.map((l) => `${l.busId} ${l.recipient}`));
        if (!page.next) break;
        after = page.next;
      }
      expect(seen).toEqual(expected);

      // By subject words: rare ones are read by the matching documents' ids, common ones in order.
      const copiesOf = (n: number) => expected.filter((e) => e.startsWith(ids[n - 1]!));
      const rare = await console.searchDeliveries(
        { ...search, sender: null, subject: 'mười ba số 2' },
        null,
        50,
      );
      expect(rare.lines.map((l) => `${l.busId} ${l.recipient}`)).toEqual(copiesOf(2));
      const common = await console.searchDeliveries({ ...search, subject: 'Công văn mười ba' }, null, 50);
      expect(common.lines.map((l) => `${l.busId} ${l.recipient}`)).toEqual(expected);
      const literal = await console.searchDeliveries({ ...search, subject: 'mười_ba' }, null, 50);
      expect(literal.lines).toEqual([]);

      // A copy still in flight two months back is in the backlog and the endpoints' waiting counts
      // (they read the months from the oldest one holding a copy in flight).
      const waitingAt = async (organ: string) => {
        const reader = new PgConsoleReadModel(bus.get(DataSource));
        const { backlog } = await reader.overview(new Date(), new Date());
        const activity = await reader.endpointActivity();
        return [
          backlog.find((b) => b.endpoint === organ)?.waiting ?? 0,
          activity.find((a) => a.organId === organ)?.waiting ?? 0,
        ];
      };
      const before = await waitingAt('000.00.00.H20');
      await bus.query(`UPDATE delivery SET state = 'queued' WHERE package_id = $1 AND recipient = $2`, [
        ids[0],
        '000.00.00.H20',
      ]);
      expect(await waitingAt('000.00.00.H20')).toEqual([before[0]! + 1, before[1]! + 1]);

      // A bridge's or the SDK's trace of last month's document reads last month only: its package,
      // copies and trace by its id, its changes from the register (not partitioned).
      const traced: unknown[] = [];
      const tracing = {
        query: async (sql: string, params: unknown[]) => {
          const rows = await bus.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) ${sql}`, params);
          traced.push(rows[0]!['QUERY PLAN']);
          return bus.query(sql, params);
        },
      } as unknown as DataSource;
      const oneOfLastMonth = ids[3]!; // the second of month -1's three
      const trace = await new PgDeliveryRepository(tracing, 30).documentTrace(SENDER, {
        busId: oneOfLastMonth,
      });
      expect(trace?.copies).toHaveLength(3);
      const partitions = [...new Set(traced.flatMap((plan) => relationsIn(plan)))].filter((r) =>
        /_\d{4}_\d{2}$/.test(r),
      );
      expect(partitions.length).toBeGreaterThan(0);
      for (const r of partitions) expect(r).toMatch(new RegExp(`_${monthSuffix(-1)}$`));
    });
  });
});
