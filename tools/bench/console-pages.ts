import { Command } from 'commander';
import type { INestApplication } from '@nestjs/common';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from 'pg';
import { consoleLogin } from '../../src/adapters/http/console/client/console-login';
import { DataSource } from 'typeorm';
import { busLogger, startBus } from '../../src/adapters/app/bootstrap';
import { formatTable } from '../../src/adapters/cli/table';
import { loadConfig } from '../../src/adapters/config/bus-config';
import { PkiResponder } from '../pki/pki-responder';
import { privateKeyPem, TestPki } from '../pki/test-pki';
import { RabbitManagementClient } from '../../src/adapters/amqp/admin/management-client';
import { AddConsoleUser } from '../../src/modules/console/use-cases/add-console-user.use-case';
import { SeedEndpoints } from '../../src/modules/registry/use-cases/seed-endpoints.use-case';

/**
 * `npm run bench:console [-- --deliveries N]`: console page times on a database seeded with N
 * deliveries (default 10 million, three per document). Seeds with SQL, then loads each page over
 * HTTP as a logged-in operator: the median of 5 loads, server-side, as a browser would request it.
 */
const PASSWORD = 'bench-console-password';

async function main(opts: { deliveries: string; keep?: boolean }): Promise<void> {
  const deliveries = Number(opts.deliveries);
  const documents = Math.ceil(deliveries / 3);
  const base = loadConfig();
  const db = new URL(base.databaseUrl);
  db.pathname = '/edoc_bench_console';
  const vhost = 'edoc-bench-console';
  const management = new RabbitManagementClient(base.managementUrl);
  await management.putVhost(vhost);
  const amqp = new URL(base.amqpUrl);
  amqp.pathname = `/${vhost}`;
  await management.putPermissions(vhost, decodeURIComponent(amqp.username) || 'guest', {
    configure: '.*',
    write: '.*',
    read: '.*',
  });

  const responder = new PkiResponder(null);
  const pki = await TestPki.create(`http://127.0.0.1:${await responder.listen(0)}`);
  responder.attach(pki);
  const config = loadConfig(
    {},
    {
      databaseUrl: db.toString(),
      amqpUrl: amqp.toString(),
      managementUrl: base.managementUrl,
      port: 0,
      logLevel: 'error',
      trust: { anchorsPem: pki.trustAnchorsPem(), intermediatesPem: pki.intermediatesPem() },
      busSigning: {
        keyPem: await privateKeyPem(pki.bus.keys.privateKey),
        certPem: pki.bus.certificate.toString('pem'),
      },
    },
  );
  const app: INestApplication = await startBus(config, busLogger(config, false));
  try {
    const sql = app.get(DataSource);
    await app.get(SeedEndpoints).execute();
    const [have] = await sql.query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM delivery`);
    if ((have?.n ?? 0) < deliveries) {
      console.log(
        `seeding ${deliveries.toLocaleString()} deliveries (${documents.toLocaleString()} documents)…`,
      );
      const t0 = performance.now();
      await seed(config.databaseUrl, documents);
      console.log(`seeded in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    }
    await app
      .get(AddConsoleUser)
      .execute({ username: 'bench-operator', password: PASSWORD, role: 'operator' });
    const origin = `http://127.0.0.1:${((app.getHttpServer() as Server).address() as AddressInfo).port}`;
    const cookie = await consoleLogin(origin, 'bench-operator', PASSWORD);
    const get = async (path: string) => {
      const t = performance.now();
      const r = await fetch(`${origin}${path}`, { headers: { cookie } });
      const html = await r.text();
      if (r.status !== 200) throw new Error(`${path}: HTTP ${r.status}`);
      return { ms: performance.now() - t, html };
    };
    const median = async (path: string) => {
      const times: number[] = [];
      let html = '';
      for (let i = 0; i < 5; i++) {
        const r = await get(path);
        times.push(r.ms);
        html = r.html;
      }
      return { ms: times.sort((a, b) => a - b)[2]!, html };
    };
    const [sample] = await sql.query<Array<{ id: string; document_id: string; sender: string }>>(
      `SELECT p.id, p.document_id, p.sender FROM package p ORDER BY p.id LIMIT 1 OFFSET $1`,
      [Math.floor(documents / 2)],
    );
    const first = await median('/console/deliveries');
    const nextLink = /rel="next" href="([^"]+)"/.exec(first.html)?.[1]?.replace(/&amp;/g, '&');
    const pages: Array<[string, string]> = [
      ['overview (24 h figures, backlog per endpoint)', '/console/overview'],
      ['delivery log, newest first', '/console/deliveries'],
      ['delivery log, page 2 (keyset)', nextLink ?? '/console/deliveries'],
      [
        'delivery log by DocumentId',
        `/console/deliveries?documentId=${encodeURIComponent(sample!.document_id)}`,
      ],
      ['delivery log by sender', `/console/deliveries?sender=${sample!.sender}`],
      ['delivery log by recipient + state', '/console/deliveries?recipient=000.00.00.H41&state=arrived'],
      ['delivery log by subject words', '/console/deliveries?subject=s%E1%BB%91%20123457'],
      ['document timeline', `/console/documents/${sample!.id}`],
      ['endpoints', '/console/endpoints'],
    ];
    const rows: string[][] = [];
    for (const [name, path] of pages) rows.push([name, (await median(path)).ms.toFixed(0)]);
    console.log(`\nConsole page times, ${deliveries.toLocaleString()} deliveries (median of 5 loads, ms)\n`);
    console.log(formatTable(['page', 'ms'], rows));
  } finally {
    await app.close();
    await responder.close();
    if (!opts.keep) await management.deleteVhost(vhost);
  }
}

/** 3.3 million documents (10 million copies) one every 19 s reach back 24 months. */
const SECONDS_APART = 19;

/**
 * Documents from the ministries to three provinces each, one every 19 s back over two years (the
 * months the hot database keeps); the last two days' copies in every state, older ones answered
 * (the backlog is what is in flight).
 */
async function seed(url: string, documents: number): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const months = Math.ceil((documents * SECONDS_APART) / (30 * 86_400)) + 1;
    await client.query(
      `SELECT edoc_ensure_months(edoc_month_of(now() - make_interval(months => $1)), $1 + 1)`,
      [months],
    );
    const BATCH = 500_000;
    for (let start = 0; start < documents; start += BATCH) {
      const end = Math.min(documents, start + BATCH);
      await client.query(
        `WITH e AS (SELECT array_agg(organ_id ORDER BY organ_id) AS ids FROM endpoint),
              -- The bus's ids are UUIDv7 (time first): the partition of a document's month.
              d AS (SELECT i, (substr(edoc_uuid7_floor(t.at)::text, 1, 14) || '7' || substr(gen_random_uuid()::text, 16))::uuid AS id, t.at
                      FROM generate_series($1::int, $2::int) i, LATERAL (SELECT now() - make_interval(secs => i * ${SECONDS_APART}) AS at) t),
              k AS (
                INSERT INTO package_register (package_id, kind, sender, document_id, business_doc_type, sha256)
                SELECT d.id, 'edoc', e.ids[1 + (d.i % 31)], e.ids[1 + (d.i % 31)] || ',' || to_char(d.at, 'YYYY/MM/DD') || ',' || d.i || '/VP', 0,
                       sha256(d.i::text::bytea)
                  FROM d, e),
              p AS (
                INSERT INTO package (id, kind, sender, document_id, business_doc_type, sha256, size_bytes, transport, subject, priority, received_at, accepted_at)
                SELECT d.id, 'edoc', e.ids[1 + (d.i % 31)], e.ids[1 + (d.i % 31)] || ',' || to_char(d.at, 'YYYY/MM/DD') || ',' || d.i || '/VP',
                       0, sha256(d.i::text::bytea), 20480, 'amqp', 'Văn bản số ' || d.i || ' về việc triển khai', d.i % 5, d.at, d.at
                  FROM d, e
                RETURNING id, accepted_at, priority)
         INSERT INTO delivery (package_id, recipient, addressed_to, state, state_at, created_at, priority)
         SELECT p.id, r.id, r.id,
                -- As on a real bus: the last two days' copies in every state, older ones answered.
                CASE WHEN p.accepted_at > now() - interval '2 days'
                     THEN (ARRAY['queued','delivered','arrived','accepted','completed'])[1 + (abs(hashtext(p.id::text || r.id)) % 5)]
                     ELSE (ARRAY['accepted','assigned','processing','completed','completed','completed','rejected'])[1 + (abs(hashtext(p.id::text || r.id)) % 7)]
                END,
                p.accepted_at, p.accepted_at, p.priority
           FROM p CROSS JOIN LATERAL (
             SELECT DISTINCT e.ids[32 + ((abs(hashtext(p.id::text)) + k * 7) % 63)] AS id FROM e, generate_series(0, 2) k) r`,
        [start, end - 1],
      );
      process.stdout.write(`  ${end.toLocaleString()} documents\r`);
    }
    // As a database that has settled: autovacuum has passed over the past months (without it the
    // months' trigram indexes keep their rows in a pending list that every search reads through).
    await client.query('VACUUM (ANALYZE) package, delivery, package_register');
  } finally {
    await client.end();
  }
}

new Command('bench-console')
  .option('--deliveries <n>', 'deliveries to seed', '10000000')
  .option('--keep', 'keep the vhost (the database is always kept, so a second run skips seeding)')
  .action((opts: { deliveries: string; keep?: boolean }) => main(opts))
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
