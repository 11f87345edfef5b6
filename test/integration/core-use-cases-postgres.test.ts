import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { PgDeliveryRepository } from '../../src/adapters/postgres/pg-delivery.repository';
import { PgSubmissionRepository } from '../../src/adapters/postgres/pg-submission.repository';
import { PgQueuedMail } from '../../src/adapters/postgres/pg-queued-mail.repository';
import { MIGRATIONS } from '../../src/adapters/postgres/database';
import type { OutboxRecord, TraceEventRecord } from '../../src/modules/delivery/delivery-records';
import type { ChangeState, CopyState } from '../../src/modules/delivery/domain/delivery-lifecycle';
import { copyLifecycleContract } from '../in-memory/copy-lifecycle.contract';
import { wireCore, type RecordsView, type WiredCore } from '../in-memory/in-memory-core';
import { document, ENDPOINTS, HANOI, MOF, MOJ } from '../in-memory/packages';
import { migrateDatabase } from '../support/migrations';
import { testServices } from '../support/infrastructure';
import type { ReasonCode } from '../../src/modules/shared/reasons';
import { routingRulesContract } from '../in-memory/routing-rules.contract';

/**
 * The routing and copy-lifecycle tests the in-memory ports pass, run against the PostgreSQL repositories: a
 * database migrated once, copied from it for each test (CREATE DATABASE … TEMPLATE).
 */
const admin = new Client({ connectionString: testServices().databaseUrl });
const template = `edoc_contract_${process.pid}_${randomBytes(4).toString('hex')}`;
let serial = 0;
let current: { db: DataSource; name: string } | null = null;

function urlOf(database: string): string {
  const url = new URL(testServices().databaseUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

beforeAll(async () => {
  await admin.connect();
  await admin.query(`CREATE DATABASE ${template}`);
  await migrateDatabase(urlOf(template));
}, 120_000);

afterAll(async () => {
  await admin.query(`DROP DATABASE IF EXISTS ${template}`);
  await admin.end();
});

async function postgresCore(): Promise<WiredCore> {
  const name = `${template}_${++serial}`;
  await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
  const db = new DataSource({ type: 'postgres', url: urlOf(name), extra: { max: 4 } });
  await db.initialize();
  current = { db, name };
  const core = wireCore({
    submissions: new PgSubmissionRepository(db, 30),
    deliveries: new PgDeliveryRepository(db, 30),
    endpoints: ENDPOINTS,
  });
  return { ...core, view: postgresView(db) };
}

async function release(): Promise<void> {
  if (!current) return;
  await current.db.destroy();
  await admin.query(`DROP DATABASE IF EXISTS ${current.name}`);
  current = null;
}

interface CopyRowInDb {
  state: CopyState;
  change_state: ChangeState | null;
  overdue: 'arrival' | 'decision' | null;
  last_status_code: string | null;
}
interface OutboxRowInDb {
  channel: OutboxRecord['channel'];
  destination: string;
  message_type: OutboxRecord['messageType'];
  message_id: string;
  lane: OutboxRecord['lane'];
  headers: Record<string, string>;
  package_id: string | null;
  receipt_id: string | null;
}
interface TraceRowInDb {
  event: TraceEventRecord['event'];
  state_before: string | null;
  state_after: string | null;
  flag: string | null;
}

function postgresView(db: DataSource): RecordsView {
  return {
    copy: async (busId, recipient) => {
      const [row] = await db.query<CopyRowInDb[]>(
        `SELECT state, change_state, overdue, last_status_code FROM delivery WHERE package_id = $1 AND recipient = $2`,
        [busId, recipient],
      );
      return row
        ? {
            state: row.state,
            changeState: row.change_state,
            overdue: row.overdue,
            lastStatusCode: row.last_status_code,
          }
        : undefined;
    },
    messages: async (type) => {
      const rows = await db.query<OutboxRowInDb[]>(
        `SELECT * FROM (
           SELECT 'broker' AS channel, destination, message_type, message_id, lane, headers, package_id, receipt_id, 1 AS part, id
             FROM outbox
           UNION ALL
           SELECT 'pull', endpoint, message_type, message_id, lane, headers, package_id, receipt_id, 2, id
             FROM pull_item) m
          WHERE $1::text IS NULL OR message_type = $1 ORDER BY part, id`,
        [type ?? null],
      );
      return rows.map((r): OutboxRecord => ({
        destination: r.destination,
        channel: r.channel,
        messageType: r.message_type,
        messageId: r.message_id,
        lane: r.lane,
        headers: r.headers,
        packageId: r.package_id ?? undefined,
        receiptId: r.receipt_id ?? undefined,
      }));
    },
    pullInbox: async (endpoint) =>
      db.query(
        `SELECT message_type AS "messageType", message_id AS "messageId", state FROM pull_item WHERE endpoint = $1 ORDER BY id`,
        [endpoint],
      ),
    lastTrace: async () => {
      const [row] = await db.query<TraceRowInDb[]>(
        `SELECT event, state_before, state_after, flag FROM trace_event ORDER BY id DESC LIMIT 1`,
      );
      return row
        ? {
            event: row.event,
            stateBefore: row.state_before ?? undefined,
            stateAfter: row.state_after ?? undefined,
            flag: row.flag ?? undefined,
          }
        : undefined;
    },
    traceEvents: async () =>
      (await db.query<Array<{ event: string }>>(`SELECT event FROM trace_event ORDER BY id`)).map(
        (r) => r.event,
      ),
    quarantine: async () =>
      (
        await db.query<
          Array<{
            reason_code: ReasonCode;
            authenticated_sender: string | null;
            claimed_sender: string | null;
          }>
        >(`SELECT reason_code, authenticated_sender, claimed_sender FROM quarantine ORDER BY id`)
      ).map((r) => ({
        reasonCode: r.reason_code,
        authenticatedSender: r.authenticated_sender,
        claimedSender: r.claimed_sender,
      })),
    receiptCount: async () =>
      (await db.query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM receipt`))[0]?.n ?? 0,
  };
}

copyLifecycleContract('PostgreSQL', postgresCore, release);
routingRulesContract('PostgreSQL', postgresCore, release);

describe('an endpoint that changes transport has its waiting mail moved to the new channel (PostgreSQL)', () => {
  afterEach(release);
  const mailOf = async (db: DataSource, organ: string) => ({
    outbox: (
      await db.query<Array<{ message_type: string; due: boolean }>>(
        `SELECT message_type, available_at <= now() AS due FROM outbox WHERE destination = $1 ORDER BY id`,
        [organ],
      )
    ).map((r) => [r.message_type, r.due]),
    pull: (
      await db.query<Array<{ message_type: string; state: string }>>(
        `SELECT message_type, state FROM pull_item WHERE endpoint = $1 ORDER BY id`,
        [organ],
      )
    ).map((r) => [r.message_type, r.state]),
  });

  it('pull items not yet taken become outbox rows due now; outbox rows not yet published become pull items', async () => {
    const core = await postgresCore();
    const db = current!.db;
    const outcome = await core.submit.execute(
      core.command(MOF, core.inspection.package(document(MOF, [MOJ, HANOI]))),
    );
    expect(outcome).toMatchObject({ outcome: 'accepted' });
    expect(await mailOf(db, HANOI)).toEqual({ outbox: [], pull: [['edoc', 'pending']] });
    expect(await mailOf(db, MOJ)).toEqual({ outbox: [['edoc', false]], pull: [] }); // leased to the fast path

    const mail = new PgQueuedMail(db);
    expect(await mail.rehome(HANOI, 'amqp')).toBe(1);
    expect(await mailOf(db, HANOI)).toEqual({ outbox: [['edoc', true]], pull: [] });
    expect(await mail.rehome(MOJ, 'bridge')).toBe(1);
    expect(await mailOf(db, MOJ)).toEqual({ outbox: [], pull: [['edoc', 'pending']] });
    // The sender's receipt did not move; a second run finds nothing more to move.
    expect((await mailOf(db, MOF)).outbox).toEqual([['receipt', false]]);
    expect(await mail.rehome(MOJ, 'bridge')).toBe(0);
  });
});

describe('upgrading a database whose outbox holds mail for bridge endpoints (PostgreSQL)', () => {
  it('moves it into their pull inboxes, applies withdrawals, and keeps the broker mail', async () => {
    const name = `${template}_upgrade`;
    await admin.query(`CREATE DATABASE ${name}`);
    try {
      const url = urlOf(name);
      await migrateDatabase(url, MIGRATIONS.length - 1);
      const db = new DataSource({ type: 'postgres', url, extra: { max: 2 } });
      await db.initialize();
      try {
        // Written by a bus of the earlier version: every message in the outbox, whatever its channel.
        const wired = wireCore({
          submissions: new PgSubmissionRepository(db, 30),
          deliveries: new PgDeliveryRepository(db, 30),
          endpoints: ENDPOINTS,
        });
        const pkg = document(MOF, [MOJ, HANOI]);
        const outcome = await wired.submit.execute(wired.command(MOF, wired.inspection.package(pkg)));
        if (outcome.outcome !== 'accepted') throw new Error('not accepted');
        await db.query(
          `INSERT INTO endpoint (organ_id, name, category, transport) VALUES ($1, $1, 'province', 'bridge')
                        ON CONFLICT (organ_id) DO UPDATE SET transport = 'bridge'`,
          [HANOI],
        );
        // (the earlier schema has no pull item yet: move HANOI's row back into the outbox as it was)
        await db.query(`
          INSERT INTO outbox (destination, message_type, message_id, lane, package_id, headers, available_at)
          SELECT endpoint, message_type, message_id, lane, package_id, headers, now() FROM pull_item`);
        await db.query(`DELETE FROM pull_item`);
        await db.query(
          `
          INSERT INTO outbox (destination, message_type, message_id, lane, body, headers, available_at)
          VALUES ($1, 'withdrawal', 'w', 'urgent', '\\x7b7d', jsonb_build_object('x-edoc-bus-id', $2::text), now())`,
          [HANOI, outcome.busId],
        );
        await migrateDatabase(url);
        expect(await db.query(`SELECT endpoint, message_type, state FROM pull_item ORDER BY id`)).toEqual([
          { endpoint: HANOI, message_type: 'edoc', state: 'withdrawn' },
        ]);
        expect(
          (await db.query<Array<{ destination: string }>>(`SELECT destination FROM outbox ORDER BY id`)).map(
            (r) => r.destination,
          ),
        ).toEqual([MOJ, MOF]);
      } finally {
        await db.destroy();
      }
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${name}`);
    }
  }, 60_000);
});
