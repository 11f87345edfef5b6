import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { PgDeliveryRepository } from '../../src/adapters/postgres/pg-delivery.repository';
import { PgSubmissionRepository } from '../../src/adapters/postgres/pg-submission.repository';
import type { OutboxRecord, TraceEventRecord } from '../../src/modules/delivery/delivery-records';
import type { ChangeState, CopyState } from '../../src/modules/delivery/domain/delivery-lifecycle';
import { copyLifecycleContract } from '../in-memory/copy-lifecycle.contract';
import { wireCore, type RecordsView, type WiredCore } from '../in-memory/in-memory-core';
import { ENDPOINTS } from '../in-memory/packages';
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
        `SELECT destination, message_type, message_id, lane, headers, package_id, receipt_id FROM outbox
          WHERE $1::text IS NULL OR message_type = $1 ORDER BY id`,
        [type ?? null],
      );
      return rows.map((r): OutboxRecord => ({
        destination: r.destination,
        messageType: r.message_type,
        messageId: r.message_id,
        lane: r.lane,
        headers: r.headers,
        packageId: r.package_id ?? undefined,
        receiptId: r.receipt_id ?? undefined,
      }));
    },
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
