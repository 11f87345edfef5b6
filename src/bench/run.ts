import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { envOf, freshEnvironment, waitForReady } from './environment';
import { verificationBench, type RateFigure } from './verification';
import { openBusContext, busLogger } from '../adapters/app/bootstrap';
import { endpointAmqpUrl } from '../adapters/cli/credentials';
import { formatTable } from '../adapters/cli/table';
import { loadConfig } from '../adapters/config/bus-config';
import { PkiResponder } from '../adapters/pki/pki-responder';
import { privateKeyPem, TestPki } from '../adapters/pki/test-pki';
import { ProvisionEndpoints } from '../modules/registry/use-cases/provision-endpoints.use-case';
import { SeedEndpoints } from '../modules/registry/use-cases/seed-endpoints.use-case';
import type { ProducerReport, ProducerTask, RecipientReport, RecipientTask } from './bench-protocol';
import { groupCpuSeconds, machineTicks, pidsNamed, procStat } from './resources';

/**
 * `npm run bench`: the whole bus measured from the outside. The bus runs as its own process
 * (`edoc-bus serve`) on a fresh database and vhost; producers and recipients are separate
 * processes using the SDK, as real DMSs would. Reports documents/s, submit-to-inbox latency,
 * CPU and peak RSS per process, and fails loudly if any document is not delivered exactly once
 * to each recipient or a receipt is missing.
 */
const root = resolve(__dirname, '..', '..');
const outDir = join(root, 'bench-output');

interface Options {
  only?: 'verify' | 'bus';
  seconds: string;
  runs: string;
  documents: string;
  recipients: string;
  size: string;
  window: string;
  rate: string;
  senders: string;
}

const program = new Command('bench')
  .option('--documents <n>', 'documents per run', '2000')
  .option('--recipients <n>', 'recipients per document', '3')
  .option('--size <bytes>', 'package size', '20480')
  .option('--window <n>', 'unconfirmed sends in flight (closed loop)', '64')
  .option('--rate <docs/s>', 'open-loop rate instead of the window (0 = closed loop)', '0')
  .option('--senders <n>', 'sending endpoints', '10')
  .option('--only <part>', 'verify (signature verification rates) or bus (end-to-end throughput)')
  .option('--seconds <s>', 'length of each measured run (verification)', '5')
  .option('--runs <n>', 'measured runs per figure (the median is reported)', '3')
  .action(async (opts: Options) => {
    if (opts.only !== 'bus')
      printVerification(await verificationBench(outDir, Number(opts.seconds), Number(opts.runs)));
    if (opts.only === 'verify') return;
    const result = await runBus(opts);
    printResult(opts, result);
    if (!result.verified) process.exitCode = 1;
  });

function printVerification(figures: RateFigure[]): void {
  const ref = (name: string) => figures.find((f) => f.name.startsWith(name))?.median ?? NaN;
  const xmlCrypto = ref('xml-crypto');
  const xmlsec = ref('libxmlsec1');
  console.log(
    `\nSignature verification, per core (median of runs; ${cpus().length} × ${cpus()[0]?.model ?? '?'}, load ${loadavg()[0]?.toFixed(2)})\n`,
  );
  console.log(
    formatTable(
      ['', 'verifications/s', 'runs', '× xml-crypto', '× libxmlsec1', 'what'],
      figures.map((f) => [
        f.name,
        Number.isNaN(f.median) ? '-' : f.median.toFixed(0),
        f.perSecond.map((r) => r.toFixed(0)).join(' '),
        Number.isNaN(f.median / xmlCrypto) ? '-' : (f.median / xmlCrypto).toFixed(2),
        Number.isNaN(f.median / xmlsec) ? '-' : (f.median / xmlsec).toFixed(2),
        f.note,
      ]),
    ),
  );
}

interface BusRunResult {
  documents: number;
  seconds: number;
  docsPerSecond: number;
  latencies: { p50: number; p95: number; p99: number; max: number };
  verified: boolean;
  problems: string[];
  processes: Array<{ name: string; cpuSeconds: number; peakRssMb: number }>;
  stages?: Record<string, number>;
  machineBusy?: number;
}

async function runBus(opts: Options): Promise<BusRunResult> {
  mkdirSync(outDir, { recursive: true });
  const runId = String(Math.floor(Date.now() / 1000) % 100_000);
  const base = loadConfig();
  const config = await freshEnvironment(base, runId);
  // The bus checks every signature: a test PKI with its OCSP/CRL responder, in this process.
  const responder = new PkiResponder(null);
  const pkiPort = await responder.listen(0);
  const pki = await TestPki.create(`http://127.0.0.1:${pkiPort}`);
  responder.attach(pki);
  const pkiDir = join(outDir, 'pki');
  await pki.write(pkiDir);
  const documents = Number(opts.documents);
  const perDocument = Number(opts.recipients);

  // Registry and broker users, through the bus's own use cases.
  const admin = await openBusContext(
    { ...config, logLevel: 'error' },
    busLogger({ ...config, logLevel: 'error' }, false),
  );
  await admin.get(SeedEndpoints).execute();
  const endpoints = (await admin.get(ProvisionEndpoints).execute({ codes: [], actor: 'bench' }))
    .filter((c) => c.transport === 'amqp')
    .map((c) => ({ organId: c.organId, url: endpointAmqpUrl(config.amqpUrl, c) }));
  await admin.close();
  const senders = await Promise.all(
    endpoints
      .filter((e) => /\.G\d\d$/.test(e.organId))
      .slice(0, Number(opts.senders))
      .map(async (e) => {
        const issued = await pki.issueEndpoint(e.organId);
        return {
          ...e,
          signing: {
            keyPem: await privateKeyPem(issued.keys.privateKey),
            certificatePem: issued.certificate.toString('pem'),
          },
        };
      }),
  );
  const recipients = endpoints.filter((e) => /\.H\d\d$/.test(e.organId));

  const profile = process.env.BENCH_CPU_PROFILE ? [`--cpu-prof`, `--cpu-prof-dir=${outDir}/profiles`] : [];
  const bus = spawn(process.execPath, [...profile, join(root, 'dist/adapters/cli/main.js'), 'serve'], {
    env: {
      ...process.env,
      ...envOf(config),
      LOG_LEVEL: 'warn',
      TRUST_ANCHORS: join(pkiDir, 'trust-anchors.pem'),
      TRUST_INTERMEDIATES: join(pkiDir, 'intermediates.pem'),
      BUS_SIGNING_KEY: join(pkiDir, 'bus.key'),
      BUS_SIGNING_CERT: join(pkiDir, 'bus.crt'),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await waitForReady(config.port);

  const recipientTask: RecipientTask = {
    recipients,
    expectedCopies: documents * Math.min(perDocument, recipients.length),
    out: join(outDir, `recipients-${runId}.json`),
    timeoutMs: 300_000,
  };
  const recipientProcess = fork(join(__dirname, 'recipient.js'), [JSON.stringify(recipientTask)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  await new Promise<void>((r) => recipientProcess.once('message', () => r()));

  const producerTask: ProducerTask = {
    senders,
    recipients: recipients.map((r) => r.organId),
    documents,
    recipientsPerDocument: perDocument,
    packageBytes: Number(opts.size),
    window: Number(opts.window),
    rate: Number(opts.rate),
    runId,
    out: join(outDir, `producer-${runId}.json`),
  };
  const busCpuBefore = procStat(bus.pid!)?.cpuSeconds ?? 0;
  const rabbitPids = pidsNamed(/^beam\.smp$/);
  const pgPids = pidsNamed(/^postgres$/);
  const rabbitBefore = groupCpuSeconds(rabbitPids);
  const pgBefore = groupCpuSeconds(pgPids);
  const machineBefore = machineTicks();
  let busPeakRss = 0;
  const watch = setInterval(
    () => (busPeakRss = Math.max(busPeakRss, procStat(bus.pid!)?.rssBytes ?? 0)),
    200,
  );
  const producerProcess = fork(join(__dirname, 'producer.js'), [JSON.stringify(producerTask)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  await Promise.all([exited(producerProcess), exited(recipientProcess)]);
  clearInterval(watch);
  const busCpu = (procStat(bus.pid!)?.cpuSeconds ?? 0) - busCpuBefore;
  const rabbitCpu = groupCpuSeconds(rabbitPids) - rabbitBefore;
  const pgCpu = groupCpuSeconds(pgPids) - pgBefore;
  const machineAfter = machineTicks();
  const machineBusy = (machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total);
  const stages = await stageMeans(config.port);
  bus.kill('SIGTERM');
  await exited(bus);
  await responder.close();

  const produced = JSON.parse(readFileSync(producerTask.out, 'utf8')) as ProducerReport;
  const received = JSON.parse(readFileSync(recipientTask.out, 'utf8')) as RecipientReport;
  const result = analyse(produced, received, documents, perDocument, [
    { name: 'bus', cpuSeconds: busCpu, peakRssMb: busPeakRss / 1e6 },
    { name: 'producer', cpuSeconds: produced.cpuSeconds, peakRssMb: produced.peakRssBytes / 1e6 },
    { name: 'recipients', cpuSeconds: received.cpuSeconds, peakRssMb: received.peakRssBytes / 1e6 },
    { name: 'rabbitmq (beam.smp)', cpuSeconds: rabbitCpu, peakRssMb: NaN },
    { name: 'postgres (all backends)', cpuSeconds: pgCpu, peakRssMb: NaN },
  ]);
  return { ...result, stages, machineBusy };
}

/** Mean time per submission stage, from the bus's own Prometheus histogram. */
async function stageMeans(port: number): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const sums: Record<string, number> = {};
  const counts: Record<string, number> = {};
  for (const m of text.matchAll(/^edoc_stage_seconds_(sum|count)\{stage="(\w+)"\} ([\d.e+-]+)$/gm)) {
    (m[1] === 'sum' ? sums : counts)[m[2]!] = Number(m[3]);
  }
  return Object.fromEntries(Object.keys(counts).map((k) => [k, ((sums[k] ?? 0) / (counts[k] || 1)) * 1000]));
}

function analyse(
  produced: ProducerReport,
  received: RecipientReport,
  documents: number,
  perDocument: number,
  processes: BusRunResult['processes'],
): BusRunResult {
  const problems: string[] = [];
  const sentAt = new Map(produced.sent.map((s) => [s.documentId, s.at]));
  const accepted = produced.receipts.filter((r) => r.outcome === 'accepted');
  if (produced.sent.length !== documents) problems.push(`sent ${produced.sent.length} of ${documents}`);
  if (accepted.length !== documents)
    problems.push(
      `${accepted.length} accepted receipts for ${documents} documents (${produced.receipts.length - accepted.length} other)`,
    );
  const copiesPerDocument = new Map<string, Set<string>>();
  for (const c of received.copies) {
    const set = copiesPerDocument.get(c.busId) ?? new Set<string>();
    if (set.has(c.recipient)) problems.push(`${c.busId} reached ${c.recipient} twice`);
    set.add(c.recipient);
    copiesPerDocument.set(c.busId, set);
  }
  for (const r of accepted) {
    if ((copiesPerDocument.get(r.busId ?? '')?.size ?? 0) !== perDocument)
      problems.push(
        `document ${r.busId} reached ${copiesPerDocument.get(r.busId ?? '')?.size ?? 0} of ${perDocument} recipients`,
      );
  }
  const latencies = received.copies
    .map((c) => c.at - (sentAt.get(c.documentId) ?? c.at))
    .sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN;
  const lastArrival = Math.max(...received.copies.map((c) => c.at));
  const seconds = (lastArrival - produced.firstSendAt) / 1000;
  return {
    documents,
    seconds,
    docsPerSecond: documents / seconds,
    latencies: { p50: q(0.5), p95: q(0.95), p99: q(0.99), max: latencies[latencies.length - 1] ?? NaN },
    verified: problems.length === 0,
    problems: problems.slice(0, 20),
    processes,
  };
}

function printResult(opts: Options, r: BusRunResult): void {
  const mode =
    Number(opts.rate) > 0 ? `open loop at ${opts.rate} docs/s` : `closed loop, ${opts.window} in flight`;
  console.log(
    `\nedoc-bus benchmark — ${r.documents} documents × ${opts.recipients} recipients, ~${Math.round(Number(opts.size) / 1024)} KB, ${mode}`,
  );
  console.log(
    `machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}; load average before/after ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}\n`,
  );
  console.log(
    formatTable(
      ['figure', 'value'],
      [
        ['documents/s (first send → last copy in an inbox)', r.docsPerSecond.toFixed(1)],
        ['copies/s', (r.docsPerSecond * Number(opts.recipients)).toFixed(1)],
        [
          'submit→inbox latency p50 / p95 / p99 / max (ms)',
          `${r.latencies.p50} / ${r.latencies.p95} / ${r.latencies.p99} / ${r.latencies.max}`,
        ],
        ...r.processes.map(
          (p) =>
            [
              `${p.name}: CPU (% of one core)${Number.isNaN(p.peakRssMb) ? '' : ', peak RSS'}`,
              `${((p.cpuSeconds / r.seconds) * 100).toFixed(0)} %${Number.isNaN(p.peakRssMb) ? '' : `, ${p.peakRssMb.toFixed(0)} MB`}`,
            ] as [string, string],
        ),
        [
          'machine busy (all cores)',
          r.machineBusy === undefined ? '?' : `${(r.machineBusy * 100).toFixed(0)} %`,
        ],
        [
          'bus stages, mean ms',
          Object.entries(r.stages ?? {})
            .map(([k, v]) => `${k} ${v.toFixed(1)}`)
            .join(', '),
        ],
        [
          'every document to every recipient exactly once, every receipt',
          r.verified ? 'yes' : `NO — ${r.problems.join('; ')}`,
        ],
      ],
    ),
  );
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((r) => child.once('exit', (code) => r(code)));
}

program.parseAsync(process.argv).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
void writeFileSync;
