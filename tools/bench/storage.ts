import { Command } from 'commander';
import type { INestApplication } from '@nestjs/common';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { EdocBusClient, type ReceivedDocument } from '../../src/adapters/amqp/sdk';
import { busLogger, startBus } from '../../src/adapters/app/bootstrap';
import { endpointAmqpUrl } from '../../src/adapters/cli/credentials';
import { sampleDocument } from '../../src/adapters/cli/sample-documents';
import { formatTable } from '../../src/adapters/cli/table';
import { loadConfig } from '../../src/adapters/config/bus-config';
import { PkiResponder } from '../pki/pki-responder';
import { privateKeyPem, TestPki } from '../pki/test-pki';
import { SigningPool } from '../../src/adapters/workers/signing-pool';
import { AuditSigner } from '../../src/modules/audit/audit-log-repository.port';
import { ExportAuditTrail } from '../../src/modules/audit/use-cases/export-audit-trail.use-case';
import { ProvisionEndpoints } from '../../src/modules/registry/use-cases/provision-endpoints.use-case';
import { SeedEndpoints } from '../../src/modules/registry/use-cases/seed-endpoints.use-case';
import { ArchiveStore } from '../../src/modules/retention/archive-store.port';
import { addMonths, monthBounds, monthOf } from '../../src/modules/retention/domain/month';
import { MonthRecords } from '../../src/modules/retention/month-records.port';
import { ArchiveMonths } from '../../src/modules/retention/use-cases/archive-months.use-case';
import { freshEnvironment } from './environment';

/**
 * `npm run bench:storage [-- --documents N --attachment-kb K]`: what a document costs to keep.
 * Ministries send N signed documents (a random "PDF" of K KiB each, three provinces as
 * recipients) through a real bus; every province answers each copy as a DMS does (01 on arrival,
 * then 03, 04, 06, each a signed status package). Once every copy is answered, the month's
 * partitions are measured table by table (after VACUUM, indexes and TOAST included); then the
 * month is archived as `archive run` does and its set measured. Bytes per document follow, split
 * into what grows with the attachment and what does not, and the capacity at national traffic.
 */
const SENDERS = ['000.00.00.G01', '000.00.00.G02', '000.00.00.G03', '000.00.00.G09', '000.00.00.G22'];
const PROVINCES = 12;
const RECIPIENTS_PER_DOCUMENT = 3;
/** What a recipient's DMS reports after 01: accepted, assigned, completed. */
const LATER_STATUSES = ['03', '04', '06'];
/** Today's national traffic (edxml.md: over 600,000 documents a month by 2022). */
const DOCUMENTS_PER_MONTH = 600_000;
/** Tables the bus grows per document; the rest (endpoints, users, revocation evidence) does not. */
const GROWING = [
  'package',
  'package_content',
  'delivery',
  'trace_event',
  'receipt',
  'audit_log',
  'package_register',
  'quarantine',
  'bridge_refusal',
];

async function main(opts: { documents: string; attachmentKb: string }): Promise<void> {
  const documents = Number(opts.documents);
  const attachmentBytes = Number(opts.attachmentKb) * 1024;
  const base = loadConfig();
  const environment = await freshEnvironment(base, 'storage', 0);
  const archiveDir = mkdtempSync(join(tmpdir(), 'edoc-bench-archive-'));
  const responder = new PkiResponder(null);
  const pki = await TestPki.create(`http://127.0.0.1:${await responder.listen(0)}`);
  responder.attach(pki);
  const config = loadConfig(
    {},
    {
      databaseUrl: environment.databaseUrl,
      amqpUrl: environment.amqpUrl,
      managementUrl: base.managementUrl,
      brokerUserPrefix: environment.brokerUserPrefix,
      port: 0,
      logLevel: 'error',
      trust: { anchorsPem: pki.trustAnchorsPem(), intermediatesPem: pki.intermediatesPem() },
      busSigning: {
        keyPem: await privateKeyPem(pki.bus.keys.privateKey),
        certPem: pki.bus.certificate.toString('pem'),
      },
      retention: { archiveDir, hotMonths: 24, totalYears: 10 },
    },
  );
  const app: INestApplication = await startBus(config, busLogger(config, false));
  const clients: EdocBusClient[] = [];
  const signer = new SigningPool(2);
  try {
    const sql = app.get(DataSource);
    await app.get(SeedEndpoints).execute();
    const credentials = await app.get(ProvisionEndpoints).execute({ codes: [], actor: 'bench' });
    const provinces = credentials
      .filter((c) => c.transport === 'amqp' && /\.H\d\d$/.test(c.organId))
      .slice(0, PROVINCES);
    const connect = async (organId: string) => {
      const c = credentials.find((x) => x.organId === organId);
      if (c?.transport !== 'amqp') throw new Error(`${organId} is not an AMQP endpoint`);
      const issued = await pki.issueEndpoint(organId);
      const signing = {
        keyPem: await privateKeyPem(issued.keys.privateKey),
        certificatePem: issued.certificate.toString('pem'),
      };
      const client = await EdocBusClient.connect({
        url: endpointAmqpUrl(config.amqpUrl, c),
        organId,
        signing,
        prefetch: 32,
      });
      clients.push(client);
      return { client, signing };
    };

    // Provinces: 01 goes out by itself once the handler returns; 03, 04 and 06 follow in order.
    let statusesSent = 0;
    for (const p of provinces) {
      const { client } = await connect(p.organId);
      client.onDocument((doc: ReceivedDocument) => {
        setTimeout(() => {
          void (async () => {
            for (const code of LATER_STATUSES) {
              await client.sendStatus(doc, code);
              statusesSent++;
            }
          })().catch((error: unknown) => console.error(`status from ${p.organId}:`, error));
        }, 50);
      });
      await client.start();
    }
    const senders = await Promise.all(SENDERS.map((s) => connect(s)));
    let accepted = 0;
    for (const s of senders) {
      s.client.onReceipt((r) => {
        if (r.outcome === 'accepted') accepted++;
        else if (r.outcome === 'rejected') console.error(`refused: ${r.reason}`);
      });
      await s.client.start();
    }

    console.log(
      `sending ${documents} documents with a ${opts.attachmentKb} KiB attachment, ${RECIPIENTS_PER_DOCUMENT} recipients each…`,
    );
    const t0 = performance.now();
    const inFlight = new Set<Promise<unknown>>();
    for (let i = 0; i < documents; i++) {
      const sender = senders[i % senders.length]!;
      const from = SENDERS[i % SENDERS.length]!;
      const to = Array.from(
        { length: RECIPIENTS_PER_DOCUMENT },
        (_, k) => provinces[(i + k * 5) % provinces.length]!.organId,
      );
      const doc = sampleDocument({
        from: { organId: from, name: from },
        to: to.map((organId) => ({ organId, name: organId })),
        number: 1000 + i,
        attachmentBytes,
        priority: i % 10 === 0 ? 1 : 0,
      });
      const sent = (async () => {
        const xml = Buffer.from(await signer.sign(doc.xml, sender.signing));
        await sender.client.send(xml, { sign: false });
      })();
      inFlight.add(sent);
      void sent.finally(() => inFlight.delete(sent));
      if (inFlight.size >= 8) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);

    const month = monthOf(new Date());
    const records = app.get(MonthRecords);
    const expectedCopies = documents * RECIPIENTS_PER_DOCUMENT;
    const deadline = Date.now() + 30 * 60_000;
    for (;;) {
      const [done] = await sql.query<Array<{ n: number }>>(
        `SELECT count(*)::int AS n FROM delivery WHERE state = 'completed'`,
      );
      if ((done?.n ?? 0) >= expectedCopies && (await records.unsettled(month)) === 0) {
        const [pending] = await sql.query<Array<{ n: number }>>(
          `SELECT count(*)::int AS n FROM audit_pending`,
        );
        if ((pending?.n ?? 0) === 0) break;
      }
      if (Date.now() > deadline)
        throw new Error(`only ${done?.n ?? 0} of ${expectedCopies} copies completed in 30 minutes`);
      await new Promise((r) => setTimeout(r, 500));
    }
    const seconds = (performance.now() - t0) / 1000;
    console.log(
      `${accepted} accepted, ${expectedCopies} copies completed, ${statusesSent + expectedCopies} status packages, in ${seconds.toFixed(0)} s`,
    );

    await sql.query('VACUUM ANALYZE');
    const suffix = `_${month.replace('-', '_')}`;
    const sizes = await sql.query<Array<{ table: string; heap: string; toast: string; indexes: string }>>(
      `SELECT t.name AS table,
              sum(pg_relation_size(l.relid))::bigint AS heap,
              sum(coalesce(pg_total_relation_size(c.reltoastrelid), 0))::bigint AS toast,
              sum(pg_indexes_size(l.relid))::bigint AS indexes
         FROM unnest($1::text[]) t(name)
         -- A partitioned table's partitions of this month; a plain table itself.
         CROSS JOIN LATERAL (SELECT relid FROM pg_partition_tree(t.name::regclass) p
                              WHERE p.isleaf AND p.relid::regclass::text LIKE '%' || $2
                             UNION ALL
                             SELECT t.name::regclass WHERE (SELECT relkind FROM pg_class WHERE oid = t.name::regclass) = 'r') l
         JOIN pg_class c ON c.oid = l.relid
        GROUP BY t.name`,
      [GROWING, suffix],
    );
    const [bodies] = await sql.query<Array<{ edoc: string; status: string; n_status: number }>>(
      `SELECT coalesce(sum(p.size_bytes) FILTER (WHERE p.kind = 'edoc'), 0)::bigint AS edoc,
              coalesce(sum(p.size_bytes) FILTER (WHERE p.kind = 'status'), 0)::bigint AS status,
              count(*) FILTER (WHERE p.kind = 'status')::int AS n_status
         FROM package p`,
    );
    const perDocument = (bytes: number) => bytes / documents;
    const byTable = new Map(
      sizes.map((s) => [
        s.table,
        { heap: Number(s.heap), toast: Number(s.toast), indexes: Number(s.indexes) },
      ]),
    );
    const total = (t: string) => {
      const s = byTable.get(t);
      return s ? s.heap + s.toast + s.indexes : 0;
    };
    const hotTotal = GROWING.reduce((sum, t) => sum + total(t), 0);
    const contentBytes = total('package_content');
    const edocBytes = Number(bodies!.edoc);
    const statusBytes = Number(bodies!.status);

    console.log(`\nHot database, bytes per document (${documents} documents, ${month}, after VACUUM)\n`);
    console.log(
      formatTable(
        ['table', 'heap', 'TOAST', 'indexes', 'total'],
        GROWING.filter((t) => byTable.has(t)).map((t) => {
          const s = byTable.get(t)!;
          return [
            t,
            kib(perDocument(s.heap)),
            kib(perDocument(s.toast)),
            kib(perDocument(s.indexes)),
            kib(perDocument(total(t))),
          ];
        }),
      ),
    );
    console.log(
      `\npackages as received: the document ${kib(perDocument(edocBytes))}, its ${(Number(bodies!.n_status) / documents).toFixed(1)} status packages ${kib(perDocument(statusBytes))}; stored bodies ${kib(perDocument(contentBytes))} (${(contentBytes / (edocBytes + statusBytes)).toFixed(2)}× the packages)`,
    );
    const fixedHot = hotTotal - contentBytes;
    console.log(
      `hot total ${kib(perDocument(hotTotal))} per document, of which ${kib(perDocument(fixedHot))} rows and indexes`,
    );

    // The month archived as `archive run` would once it is old enough: the clock a month ahead.
    const registerBefore = total('package_register');
    const archiveMonths = new ArchiveMonths(
      records,
      app.get(ArchiveStore),
      app.get(ExportAuditTrail),
      app.get(AuditSigner),
      { now: () => monthBounds(addMonths(month, 1)).from },
      { hotMonths: 1, totalYears: 10 },
    );
    const [report] = await archiveMonths.execute({ before: null });
    if (report?.outcome !== 'archived')
      throw new Error(`${month} was not archived: ${report?.reason ?? 'no report'}`);
    const set = join(archiveDir, month);
    const parts = readdirSync(set).map(
      (name) => [name, du(join(set, name)), gzipped(join(set, name))] as const,
    );
    const archiveTotal = parts.reduce((sum, [, b]) => sum + b, 0);
    console.log(`\nArchive set ${month}, bytes per document (and what gzip -6 would make of each part)\n`);
    console.log(
      formatTable(
        ['part', 'bytes', 'gzipped'],
        parts.map(([name, b, z]) => [name, kib(perDocument(b)), kib(perDocument(z))]),
      ),
    );
    await sql.query('VACUUM ANALYZE package_register');
    const [register] = await sql.query<Array<{ bytes: string }>>(
      `SELECT pg_total_relation_size('package_register')::bigint AS bytes`,
    );
    console.log(
      `archive total ${kib(perDocument(archiveTotal))} per document (${(archiveTotal / (edocBytes + statusBytes)).toFixed(2)}× the packages); left in the hot database: the register, ${kib(perDocument(Number(register!.bytes)))} per document (was ${kib(perDocument(registerBefore))})`,
    );

    // Capacity: what grows with the attachment scales with the package; the rest is per document.
    const fixedArchive = archiveTotal - du(join(set, 'packages'));
    const statusPerDocument = perDocument(statusBytes);
    const registerPerDocument = perDocument(Number(register!.bytes));
    const perYear = DOCUMENTS_PER_MONTH * 12;
    const rows: string[][] = [];
    for (const pdfMb of [0.2, 1, 5]) {
      // The package carries the PDF in base64 (4/3) plus its header and signature.
      const documentPackage =
        (pdfMb * 1_048_576 * 4) / 3 + perDocument(edocBytes) - (attachmentBytes * 4) / 3;
      const hotPerDocument =
        perDocument(fixedHot) +
        (documentPackage + statusPerDocument) * (contentBytes / (edocBytes + statusBytes));
      const archivePerDocument = perDocument(fixedArchive) + documentPackage + statusPerDocument;
      rows.push([
        `${pdfMb} MB`,
        kib(hotPerDocument),
        tb(hotPerDocument * DOCUMENTS_PER_MONTH * 24),
        kib(archivePerDocument),
        tb(archivePerDocument * perYear),
        tb(archivePerDocument * perYear * 8),
      ]);
    }
    console.log(
      `\nCapacity at ${DOCUMENTS_PER_MONTH.toLocaleString()} documents a month: 24 months in the database, 8 more years in the archive; the register of archived documents stays in the database, ${tb(registerPerDocument * perYear * 8)} after 10 years\n`,
    );
    console.log(
      formatTable(
        [
          'signed PDF',
          'database / doc',
          'database (24 months)',
          'archive / doc',
          'archive / year',
          'archive (8 years)',
        ],
        rows,
      ),
    );
  } finally {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    await signer.close();
    await app.close();
    await responder.close();
    rmSync(archiveDir, { recursive: true, force: true });
  }
}

function du(path: string): number {
  const s = statSync(path);
  if (!s.isDirectory()) return s.size;
  return readdirSync(path).reduce((sum, name) => sum + du(join(path, name)), 0);
}

function gzipped(path: string): number {
  const s = statSync(path);
  if (!s.isDirectory()) return gzipSync(readFileSync(path)).length;
  return readdirSync(path).reduce((sum, name) => sum + gzipped(join(path, name)), 0);
}

function kib(bytes: number): string {
  return bytes >= 1_048_576 ? `${(bytes / 1_048_576).toFixed(2)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;
}

function tb(bytes: number): string {
  return bytes >= 1e12 ? `${(bytes / 1e12).toFixed(1)} TB` : `${(bytes / 1e9).toFixed(0)} GB`;
}

new Command('bench-storage')
  .option('--documents <n>', 'documents to send', '600')
  .option('--attachment-kb <k>', 'size of each document’s attachment (KiB)', '256')
  .action((opts: { documents: string; attachmentKb: string }) => main(opts))
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
