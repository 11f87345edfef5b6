import { SingleBar, Presets } from 'cli-progress';
import type { Command } from 'commander';
import { DataSource } from 'typeorm';
import type { Endpoint } from '../../modules/registry/domain/endpoint';
import { ProvisionEndpoints } from '../../modules/registry/use-cases/provision-endpoints.use-case';
import { SeedEndpoints } from '../../modules/registry/use-cases/seed-endpoints.use-case';
import { ListEndpoints } from '../../modules/registry/use-cases/list-endpoints.use-case';
import { EdocBusClient } from '../amqp/sdk';
import { busLogger, startBus } from '../app/bootstrap';
import { BusMetrics } from '../http/metrics';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEFAULT_PKI_DIR } from '../config/bus-config';
import { developmentKit, type PkiResponderHandle } from './development-kit';
import { SigningPool, type SigningCredentials } from '../workers/signing-pool';
import { DEFAULT_PKI_URL, ensureServerCertificate, initPki, servePki } from './pki.commands';
import { loadConfig, type BusConfig } from '../config/bus-config';
import { endpointAmqpUrl } from './credentials';
import { operator } from './endpoints.commands';
import { sampleDocument } from './sample-documents';
import { formatTable } from './table';

interface DemoOptions {
  documents: string;
  rate: string;
  concurrency: string;
  timeout: string;
  keepRunning?: boolean;
}

/** Bad packages a real bus meets; each must come back as a rejection receipt. */
const HOSTILE = {
  malformed: (from: string) =>
    `<?xml version="1.0"?><edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016"><broken from="${from}">`,
  doctype: () =>
    '<?xml version="1.0"?><!DOCTYPE edXML [<!ENTITY x SYSTEM "file:///etc/passwd">]><edXML>&x;</edXML>',
};

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'run the bus with simulated document systems for every endpoint exchanging documents and statuses',
    )
    .option('--documents <n>', 'documents to send', '300')
    .option('--concurrency <n>', 'documents in flight at once', '16')
    .option('--rate <docs/s>', 'steady sending rate (0 = as fast as the bus takes them)', '8')
    .option('--timeout <seconds>', 'give up waiting for deliveries after', '120')
    .option('--keep-running', 'keep the bus running after the demo (Ctrl-C to stop)')
    .action((opts: DemoOptions) => runDemo(opts));
}

/**
 * With the test PKI's server certificate and nothing else configured, the demo runs over TLS on
 * every channel, as production does: it serves HTTPS (plaintext on the same port redirects the
 * console and refuses the rest), its simulated systems log in over AMQPS with their certificates,
 * and PostgreSQL is verified (sslmode=verify-full). `npm run demo` has made the local broker and
 * PostgreSQL serve that certificate (scripts/ensure-ready.js).
 */
function withDemoTls(config: BusConfig, pkiDir: string): BusConfig {
  if (!existsSync(join(pkiDir, 'server.crt'))) return config;
  const env = process.env;
  const ca =
    readFileSync(join(pkiDir, 'trust-anchors.pem'), 'utf8') +
    readFileSync(join(pkiDir, 'intermediates.pem'), 'utf8');
  const amqp = new URL(config.amqpUrl);
  const db = new URL(config.databaseUrl);
  const overAmqps = !env.AMQP_URL && amqp.protocol === 'amqp:' && amqp.port === '5672';
  if (overAmqps) [amqp.protocol, amqp.port] = ['amqps:', '5671'];
  if (!env.DATABASE_URL && !db.searchParams.has('sslmode')) {
    db.searchParams.set('sslmode', 'verify-full');
    db.searchParams.set('sslrootcert', join(pkiDir, 'trust-anchors.pem'));
  }
  return {
    ...config,
    amqpUrl: amqp.toString(),
    databaseUrl: db.toString(),
    amqpTls: overAmqps ? { caPem: ca, certPem: null, keyPem: null } : config.amqpTls,
    tls: config.tls ?? {
      certFile: join(pkiDir, 'server.crt'),
      keyFile: join(pkiDir, 'server.key'),
      caFile: null,
      plaintext: 'redirect',
      ticketRotationSeconds: 3600,
    },
  };
}

/** The simulated systems log in by certificate when the bus's broker is reached over AMQPS. */
function demoCertificates(
  config: BusConfig,
  pkiDir: string,
  organs: string[],
): Map<string, string> | undefined {
  if (!config.amqpUrl.startsWith('amqps:')) return undefined;
  return new Map(
    organs.map((o) => [o, readFileSync(join(pkiDir, 'endpoints', `${o}.crt`), 'utf8')] as const),
  );
}

async function runDemo(opts: DemoOptions): Promise<void> {
  const total = Number(opts.documents);
  const pkiDir = resolve(DEFAULT_PKI_DIR);
  if (!process.env.TRUST_ANCHORS && !existsSync(join(pkiDir, 'pki.json'))) {
    console.log(
      `Generating a test PKI in ${pkiDir} (root, issuing CAs, a signing certificate per endpoint)…`,
    );
    await initPki(pkiDir, DEFAULT_PKI_URL);
  }
  if (!process.env.TLS_CERT && (await ensureServerCertificate(pkiDir)))
    console.log(`Issued the bus's TLS certificate in ${pkiDir}/server.crt`);
  const responder = await startResponder(pkiDir);
  const config = withDemoTls(loadConfig(), pkiDir);
  const quiet = { ...config, logLevel: 'warn' as const };
  console.log(
    `Starting edoc-bus (database, migrations, broker topology): HTTP${config.tls ? 'S' : ''}, ${config.amqpUrl.startsWith('amqps:') ? 'AMQPS with certificate logins' : 'AMQP'}, PostgreSQL${/sslmode=verify-full/.test(config.databaseUrl) ? ' over verified TLS' : ''}…`,
  );
  const app = await startBus(quiet, busLogger(quiet, false));
  const clients: EdocBusClient[] = [];
  try {
    const seeded = await app.get(SeedEndpoints).execute();
    const { endpoints } = await app.get(ListEndpoints).execute();
    const active = endpoints.filter((e) => e.status === 'active' && e.transport === 'amqp');
    console.log(
      `Registry: ${seeded.endpointsTotal} endpoints (${seeded.endpointsInserted} added now). Provisioning broker users…`,
    );
    const certificates = demoCertificates(
      config,
      pkiDir,
      active.map((e) => e.organId),
    );
    const credentials = (
      await app
        .get(ProvisionEndpoints)
        .execute({ codes: active.map((e) => e.organId), actor: operator(), certificates })
    ).filter((c) => c.transport === 'amqp'); // the demo simulates AMQP document systems

    const stats = new DemoStats();
    const byOrgan = new Map<string, EdocBusClient>();
    console.log(`Connecting ${credentials.length} simulated document systems…`);
    for (const c of credentials) {
      const client = await EdocBusClient.connect({
        url: endpointAmqpUrl(config.amqpUrl, c),
        organId: c.organId,
        organName: active.find((e) => e.organId === c.organId)?.name,
        signing: endpointSigning(pkiDir, c.organId),
        tls: certificates
          ? {
              caPem: config.amqpTls?.caPem ?? undefined,
              certificatePem: endpointSigning(pkiDir, c.organId)?.certificatePem,
              keyPem: endpointSigning(pkiDir, c.organId)?.keyPem,
            }
          : undefined,
      });
      wireRecipient(client, stats);
      await client.start();
      clients.push(client);
      byOrgan.set(c.organId, client);
    }

    const bar = new SingleBar(
      {
        format:
          ' {bar} {percentage}% | sent {sent}/{total} | receipts {receipts} | copies delivered {delivered} | statuses relayed {relayed}',
        hideCursor: true,
      },
      Presets.shades_classic,
    );
    bar.start(total, 0, { sent: 0, receipts: 0, delivered: 0, relayed: 0 });
    const refresh = setInterval(
      () =>
        bar.update(stats.sent, {
          sent: stats.sent,
          total,
          receipts: stats.receipts.size,
          delivered: stats.delivered.size,
          relayed: stats.statusesRelayed,
        }),
      200,
    );
    const started = Date.now();
    await sendTraffic(
      total,
      Number(opts.concurrency),
      Number(opts.rate),
      active,
      byOrgan,
      stats,
      developmentKit().signedPdfs(pkiDir),
    );
    await sendHostile(active, byOrgan, stats);
    const deadline = Date.now() + Number(opts.timeout) * 1000;
    while (!stats.settled() && Date.now() < deadline) await sleep(100);
    const seconds = (Date.now() - started) / 1000;
    clearInterval(refresh);
    bar.update(stats.sent, {
      sent: stats.sent,
      total,
      receipts: stats.receipts.size,
      delivered: stats.delivered.size,
      relayed: stats.statusesRelayed,
    });
    bar.stop();
    await printSummary(stats, seconds, app.get(DataSource));
    const stages = await app.get(BusMetrics).stageSummary();
    const [signed] = await app
      .get(DataSource)
      .query<Array<{ verified: number }>>(
        `SELECT count(*)::int AS verified FROM package WHERE signature->>'status' = 'verified'`,
      );
    console.log(
      `packages with a verified signature (signer = sender, OCSP/CRL checked), all runs: ${signed?.verified ?? 0}`,
    );
    console.log(`bus stages (mean): ${stages.map((s) => `${s.stage} ${s.meanMs.toFixed(1)} ms`).join(', ')}`);
    if (!stats.settled()) process.exitCode = 1;

    if (opts.keepRunning) {
      console.log(
        `\nThe bus keeps running on ${config.tls ? 'https' : 'http'}://localhost:${config.port} (/console, /health/ready, /metrics; the test PKI's root in ${join(pkiDir, 'trust-anchors.pem')} verifies it). Ctrl-C to stop.`,
      );
      await new Promise<void>((resolve) => process.once('SIGINT', resolve));
    }
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    await app.close();
    await SigningPool.instance.close();
    await responder?.close();
  }
}

/** Each simulated DMS signs with its endpoint's key from the test PKI. */
function endpointSigning(pkiDir: string, organId: string): SigningCredentials | undefined {
  const key = join(pkiDir, 'endpoints', `${organId}.key`);
  if (!existsSync(key)) return undefined;
  return {
    keyPem: readFileSync(key, 'utf8'),
    certificatePem: readFileSync(join(pkiDir, 'endpoints', `${organId}.crt`), 'utf8'),
  };
}

/** The test PKI's OCSP/CRL responder, unless one already listens there (`edoc-bus pki serve`). */
async function startResponder(pkiDir: string): Promise<PkiResponderHandle | null> {
  if (!existsSync(join(pkiDir, 'pki.json'))) return null;
  try {
    return await servePki(pkiDir, Number(new URL(DEFAULT_PKI_URL).port));
  } catch (error) {
    if ((error as { code?: string }).code === 'EADDRINUSE') return null;
    throw error;
  }
}

class DemoStats {
  sent = 0;
  expectedCopies = 0;
  readonly sentAt = new Map<string, number>();
  readonly receipts = new Map<string, { outcome: string; reason?: string }>();
  readonly delivered = new Set<string>();
  readonly latenciesMs: number[] = [];
  duplicatesDropped = 0;
  statusesSent = 0;
  statusesRelayed = 0;
  hostileSent = 0;
  readonly pendingStatuses = new Set<Promise<unknown>>();

  /** Statuses expected back at senders: the clerks' answers plus the SDK's automatic 01 per copy. */
  expectedStatuses(): number {
    return this.statusesSent + this.delivered.size;
  }

  settled(): boolean {
    return (
      this.pendingStatuses.size === 0 &&
      this.delivered.size >= this.expectedCopies &&
      this.statusesRelayed >= this.expectedStatuses() &&
      this.receipts.size >= this.sent + this.hostileSent + this.expectedStatuses()
    );
  }
}

function wireRecipient(client: EdocBusClient, stats: DemoStats): void {
  client.onDocument((doc) => {
    if (!stats.sentAt.has(doc.documentId)) return; // left in an inbox by an earlier run
    const key = `${doc.busId}→${client.organId}`;
    if (stats.delivered.has(key)) {
      stats.duplicatesDropped++;
      return;
    }
    stats.delivered.add(key);
    const sentAt = stats.sentAt.get(doc.documentId);
    if (sentAt) stats.latenciesMs.push(Date.now() - sentAt);
    // The clerk's answers: most documents are registered then completed, a few are refused.
    const roll = Math.random();
    const answers =
      roll < 0.1
        ? [['02', 'Văn bản gửi nhầm đơn vị']]
        : roll < 0.85
          ? [
              ['03', 'Đã vào sổ'],
              ['06', 'Đã hoàn thành xử lý'],
            ]
          : [];
    const work = (async () => {
      for (const [code, text] of answers) {
        await sleep(20 + Math.random() * 200);
        stats.statusesSent++;
        await client.sendStatus(doc, code!, text);
      }
    })();
    stats.pendingStatuses.add(work);
    void work.finally(() => stats.pendingStatuses.delete(work));
  });
  client.onStatus(() => {
    stats.statusesRelayed++;
  });
  client.onReceipt((r) => {
    if (r.correlationId) stats.receipts.set(r.correlationId, { outcome: r.outcome, reason: r.reason });
  });
}

/** Recipients per document as seen on the real axis: mostly 1–3, sometimes 10, rarely everyone. */
function pickRecipients(all: Endpoint[], sender: Endpoint, index: number): Endpoint[] {
  const others = all.filter((e) => e.organId !== sender.organId);
  const roll = index % 100;
  const count = roll === 99 ? others.length : roll < 20 ? 1 : roll < 90 ? 3 : 10;
  return shuffle(others).slice(0, count);
}

async function sendTraffic(
  total: number,
  concurrency: number,
  rate: number,
  endpoints: Endpoint[],
  clients: Map<string, EdocBusClient>,
  stats: DemoStats,
  signedPdfFor: (organId: string) => Promise<Buffer | null>,
): Promise<void> {
  let next = 0;
  // Document numbers unique to this run: a DocumentId reused with other content is (rightly) refused.
  const runBase = (Math.floor(Date.now() / 1000) % 1_000_000) * 1000;
  const started = Date.now();
  const worker = async () => {
    while (next < total) {
      const i = next++;
      // A steady flow, like a working day compressed, rather than one burst.
      const due = rate > 0 ? started + (i * 1000) / rate : 0;
      if (due > Date.now()) await sleep(due - Date.now());
      const sender = endpoints[Math.floor(Math.random() * endpoints.length)]!;
      const to = pickRecipients(endpoints, sender, i);
      const pdf = await signedPdfFor(sender.organId);
      const { documentId, xml } = sampleDocument({
        from: sender,
        to,
        number: runBase + i,
        priority: i % 10 === 0 ? 1 : 0,
        attachment: pdf ? { content: pdf, name: `${runBase + i}.signed.pdf` } : undefined,
      });
      stats.expectedCopies += to.length;
      stats.sentAt.set(documentId, Date.now());
      await clients.get(sender.organId)!.send(xml);
      stats.sent++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

async function sendHostile(
  endpoints: Endpoint[],
  clients: Map<string, EdocBusClient>,
  stats: DemoStats,
): Promise<void> {
  const [a, b] = endpoints as [Endpoint, Endpoint];
  const client = clients.get(a.organId)!;
  const forged = sampleDocument({ from: b, to: [a], number: 9001 }).xml; // From says b, connection is a
  const unknown = sampleDocument({
    from: a,
    to: [{ organId: '000.00.00.Z99', name: 'Không tồn tại' }],
    number: 9002,
  }).xml;
  const packages: Array<[string, boolean]> = [
    [HOSTILE.malformed(a.organId), false],
    [HOSTILE.doctype(), false],
    [forged, true],
    [unknown, true],
  ];
  for (const [xml, sign] of packages) {
    await client.send(xml, { sign });
    stats.hostileSent++;
  }
}

async function printSummary(stats: DemoStats, seconds: number, db: DataSource): Promise<void> {
  const outcomes = new Map<string, number>();
  for (const r of stats.receipts.values()) {
    const key = r.outcome === 'rejected' ? `rejected (${r.reason})` : r.outcome;
    outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
  }
  const lat = [...stats.latenciesMs].sort((x, y) => x - y);
  const pct = (p: number) =>
    lat.length ? `${lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))]} ms` : '-';
  const [rows] = await db.query<Array<{ deliveries: number; quarantined: number; outbox: number }>>(
    `SELECT (SELECT count(*) FROM delivery)::int AS deliveries, (SELECT count(*) FROM quarantine)::int AS quarantined,
            (SELECT count(*) FROM outbox)::int AS outbox`,
  );
  console.log('\nSummary');
  console.log(
    formatTable(
      ['what', 'count'],
      [
        ['documents sent', stats.sent],
        ['bad packages sent (malformed, DOCTYPE, forged sender, unknown recipient)', stats.hostileSent],
        ...[...outcomes.entries()].map(([k, v]) => [`receipts: ${k}`, v] as [string, number]),
        ['copies expected', stats.expectedCopies],
        ['copies delivered (distinct)', stats.delivered.size],
        ['redelivered copies dropped by the SDK', stats.duplicatesDropped],
        ['statuses sent by recipients (01 automatic, 03, 06, 02)', stats.expectedStatuses()],
        ['statuses relayed to senders', stats.statusesRelayed],
        ['delivery rows in PostgreSQL (all runs)', rows!.deliveries],
        ['quarantined packages in PostgreSQL (all runs)', rows!.quarantined],
        ['outbox rows still pending', rows!.outbox],
      ],
    ),
  );
  console.log(
    `\n${stats.sent} documents in ${seconds.toFixed(1)} s (${(stats.sent / seconds).toFixed(1)} docs/s including statuses); ` +
      `submit→inbox latency p50 ${pct(50)}, p95 ${pct(95)}, p99 ${pct(99)}`,
  );
  console.log(
    stats.settled()
      ? 'Every document reached every recipient; every package got its receipt.'
      : 'NOT SETTLED: some deliveries or receipts are missing.',
  );
}

function shuffle<T>(items: T[]): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
