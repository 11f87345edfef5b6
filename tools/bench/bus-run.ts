import { fork, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { openBusContext, busLogger } from '../../src/adapters/app/bootstrap';
import { endpointAmqpUrl } from '../../src/adapters/cli/credentials';
import {
  amqpNodesOf,
  databaseNodesOf,
  DEFAULT_PKI_DIR,
  type BusConfig,
} from '../../src/adapters/config/bus-config';
import { PrimaryFinder } from '../../src/adapters/postgres/primary-finder';
import { PkiResponder } from '../pki/pki-responder';
import { privateKeyPem, TestPki } from '../pki/test-pki';
import { ProvisionEndpoints } from '../../src/modules/registry/use-cases/provision-endpoints.use-case';
import { SeedEndpoints } from '../../src/modules/registry/use-cases/seed-endpoints.use-case';
import {
  recipientsOf,
  type CopyArrival,
  type EndpointAccess,
  type ProducerReport,
  type ProducerTask,
  type RecipientMix,
  type RecipientReport,
  type RecipientTask,
} from './bench-protocol';
import { benchTls, envOf, freshEnvironment, getText, waitForReady, type BenchTls } from './environment';
import {
  groupCpuSeconds,
  machineTicks,
  measureBroker,
  pidsNamed,
  procStat,
  threadCpuSeconds,
  threadsCpuSeconds,
  type BrokerMessageCounts,
} from './resources';

export interface ProcessFigure {
  name: string;
  cpuSeconds: number;
  peakRssMb: number;
}

export interface RunResult {
  documents: number;
  copies: number;
  /** Copies the plan called for (documents × their recipients). */
  expectedCopies: number;
  /** Copies that reached a recipient under a second bus id (must be 0). */
  duplicateIds: number;
  /** Copies redelivered under an id the recipient had already seen (allowed; the SDK drops them). */
  redeliveriesDropped: number;
  seconds: number;
  docsPerSecond: number;
  latencies: { p50: number; p95: number; p99: number; max: number };
  /** The same for documents sent after the first WARM_UP_MS (the bus's start-up left out). */
  steady: { p50: number; p95: number; p99: number; max: number };
  /**
   * `steady` split by the document's fan-out: copies of documents to at most 10 recipients, and
   * copies of broadcasts (one in a thousand documents, ~3 % of the copies, their 94 copies leaving
   * one after another), so a tail made by broadcasts can be told from one that is not.
   */
  byFanout?: { upTo10: RunResult['latencies']; broadcast: RunResult['latencies'] };
  verified: boolean;
  problems: string[];
  processes: ProcessFigure[];
  /**
   * The bus's CPU seconds split by thread: its main thread (event loop: AMQP, PostgreSQL, routing,
   * receipts) and the rest (the inspection and signing workers, libuv's pool, V8's helpers).
   */
  busThreads?: {
    main: number;
    others: number;
    /** The first bus process's other threads that used CPU, busiest first (seconds). */
    busiest: number[];
  };
  /** What the broker handled during the run (its global counters), when it could be asked. */
  broker?: BrokerMessageCounts;
  machineBusy: number;
  stages?: Record<string, number>;
  /**
   * Open-loop runs: each stage's mean and p99 (ms, the histogram bucket it falls in) after the
   * first WARM_UP_MS, so a latency tail can be placed inside the bus or outside it (the broker).
   */
  stageTails?: Record<string, { mean: number; p99: number }>;
  /** Submit→inbox time of the last document sent (the urgent one in the overtaking test), and the backlog it overtook. */
  lastDocument?: { latencyMs: number; copiesStillWaiting: number };
  /** From the last copy's arrival to the last `delivered` notice recorded. */
  recordingLagSeconds?: number;
  /** Bus RSS samples (MB) every few seconds, for the soak's flatness check. */
  rssSeries?: number[];
}

/**
 * The bus build a run starts: this checkout's `dist/`, or `BENCH_BUS_BUILD` (another checkout's
 * `dist/`), so that two versions of the bus can be measured A/B by the same harness in one hour.
 */
const busBuild = (root: string) => process.env.BENCH_BUS_BUILD ?? join(root, 'dist');

/** What the chaos suite may do to the bus processes of a run. */
export interface BusProcesses {
  readonly count: number;
  kill(k: number, signal?: NodeJS.Signals): Promise<void>;
  restart(k: number): Promise<void>;
}

export interface BusRunSpec {
  /** The last document is urgent and sent behind all the others (see ProducerTask.urgentLast). */
  urgentLast?: boolean;
  documents: number;
  mix: RecipientMix;
  packageBytes: number;
  window: number;
  rate: number;
  busProcesses: number;
  /**
   * Documents carried by the same bus processes before the measured run, its figures set aside:
   * a serving bus has long compiled its hot code, a process started for a 15-second run has not.
   */
  warmUpDocuments?: number;
}

/** The bus's environment for a whole benchmark: a fresh database and vhost, a test PKI, 95 endpoints. */
export class BusBench {
  private runs = 0;
  private readonly children = new Set<ChildProcess>();
  private nextNumber = (Math.floor(Date.now() / 1000) % 100_000) * 10_000;

  private constructor(
    private readonly root: string,
    private readonly outDir: string,
    private readonly config: BusConfig,
    private readonly responder: PkiResponder,
    private readonly pkiDir: string,
    private readonly endpoints: EndpointAccess[],
    private readonly senders: EndpointAccess[],
    /** TLS on every channel (the bus's HTTPS, AMQPS by certificate, PostgreSQL verify-full), or none. */
    private readonly tls: BenchTls | null,
  ) {}

  /** `endpointLimit`: carry traffic between this many endpoints only (senders first, then provinces). */
  static async prepare(
    root: string,
    outDir: string,
    base: BusConfig,
    senderCount: number,
    endpointLimit = Infinity,
    options: { tls?: boolean } = {},
  ): Promise<BusBench> {
    // The bus checks every signature: a test PKI with its OCSP/CRL responder, in this process.
    // Over TLS it is the development PKI (certs/generated), whose roots the local broker and
    // PostgreSQL trust and whose server certificate they serve.
    const { pki, pkiDir, responder } = options.tls
      ? await BusBench.developmentPki(root)
      : await BusBench.freshPki(outDir);
    const tls = options.tls ? benchTls(pkiDir) : null;
    const config = await freshEnvironment(base, 'bus', 18080, tls);
    const quiet = { ...config, logLevel: 'error' as const };
    const admin = await openBusContext(quiet, busLogger(quiet, false));
    await admin.get(SeedEndpoints).execute();
    const certificates = new Map(
      [...pki.endpoints].map(([organ, issued]) => [organ, issued.certificate.toString('pem')] as const),
    );
    const endpoints = await Promise.all(
      (
        await admin
          .get(ProvisionEndpoints)
          .execute({ codes: [], actor: 'bench', certificates: tls ? certificates : undefined })
      )
        .filter((c) => c.transport === 'amqp')
        .map(async (c) => ({
          organId: c.organId,
          url: endpointAmqpUrl(amqpNodesOf(config).join(','), c),
          ...(tls
            ? {
                tls: {
                  caPem: tls.caPem,
                  certificatePem: certificates.get(c.organId)!,
                  keyPem: await privateKeyPem(pki.endpoints.get(c.organId)!.keys.privateKey),
                },
              }
            : {}),
        })),
    );
    endpoints.sort((a, b) => a.organId.localeCompare(b.organId));
    await admin.close();
    const senderIds = new Set(
      endpoints
        .filter((e) => /\.G\d\d$/.test(e.organId))
        .slice(0, senderCount)
        .map((e) => e.organId),
    );
    const used = [
      ...endpoints.filter((e) => senderIds.has(e.organId)),
      ...endpoints
        .filter((e) => !senderIds.has(e.organId))
        .slice(0, Math.max(0, endpointLimit - senderIds.size)),
    ].sort((a, b) => a.organId.localeCompare(b.organId));
    const senders = await Promise.all(
      used
        .filter((e) => senderIds.has(e.organId))
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
    return new BusBench(root, outDir, config, responder, pkiDir, used, senders, tls);
  }

  private static async freshPki(outDir: string) {
    const responder = new PkiResponder(null);
    const pki = await TestPki.create(`http://127.0.0.1:${await responder.listen(0)}`);
    responder.attach(pki);
    const pkiDir = join(outDir, 'pki');
    await pki.write(pkiDir);
    return { pki, pkiDir, responder };
  }

  /** certs/generated, answered for by this process unless a demo's responder already is. */
  private static async developmentPki(root: string) {
    const pkiDir = join(root, DEFAULT_PKI_DIR);
    const pki = await TestPki.read(pkiDir);
    if (!pki.server) throw new Error(`${pkiDir} has no server certificate: run edoc-bus pki server-cert`);
    const responder = new PkiResponder(pki);
    try {
      await responder.listen(Number(new URL(pki.manifest.baseUrl).port));
    } catch (error) {
      if ((error as { code?: string }).code !== 'EADDRINUSE') throw error;
    }
    return { pki, pkiDir, responder };
  }

  get endpointCount(): number {
    return this.endpoints.length;
  }

  async close(): Promise<void> {
    await this.responder.close();
  }

  /** The bench database's hosts (a primary and its standby in the failover scenario). */
  get databaseUrls(): string[] {
    return databaseNodesOf(this.config);
  }

  /** Environment for the CLI against the bench's bus (audit export and verify). */
  cliEnv(): Record<string, string> {
    return { ...envOf(this.config, this.tls), LOG_LEVEL: 'warn', ...this.pkiEnv() };
  }

  /**
   * One run. `disturb`, when given, runs alongside the load with control over the bus processes
   * (the chaos suite kills and restarts them, or the broker, or the database, meanwhile).
   */
  async run(
    spec: BusRunSpec,
    soakSampleMs = 0,
    disturb?: (buses: BusProcesses, done: () => boolean) => Promise<void>,
    beforeStop?: () => Promise<void>,
  ): Promise<RunResult> {
    try {
      return await this.runOnce(spec, soakSampleMs, disturb, beforeStop);
    } finally {
      // A run that throws (a disturbance or a check that fails) must not leave a bus serving, a
      // producer sending or recipients reading: they would disturb the next scenario and hold
      // the CI job open.
      await stopAll(this.children);
    }
  }

  private async runOnce(
    spec: BusRunSpec,
    soakSampleMs: number,
    disturb?: (buses: BusProcesses, done: () => boolean) => Promise<void>,
    beforeStop?: () => Promise<void>,
  ): Promise<RunResult> {
    const buses = Array.from({ length: spec.busProcesses }, (_, k) => this.startBus(this.config.port + k));
    const control: BusProcesses = {
      count: buses.length,
      kill: async (k, signal = 'SIGKILL') => {
        buses[k]!.kill(signal);
        await exited(buses[k]!);
      },
      restart: async (k) => {
        buses[k] = this.startBus(this.config.port + k);
        await waitForReady(this.config.port + k, this.tls);
      },
    };
    await Promise.all(buses.map((_, k) => waitForReady(this.config.port + k, this.tls)));
    let baseline: StageHistograms | null = null;
    if (spec.warmUpDocuments) {
      const warm = await this.carry(
        buses,
        control,
        {
          ...spec,
          documents: spec.warmUpDocuments,
          rate: 0,
          urgentLast: false,
          packageBytes: Math.min(spec.packageBytes, 20_480),
          window: Math.min(spec.window, 64),
        },
        0,
        undefined,
        null,
      );
      if (!warm.verified) throw new Error(`the warm-up run failed: ${warm.problems.join('; ')}`);
      // As autovacuum leaves a serving database: statistics for the tables the warm-up filled
      // (this machine's PostgreSQL runs with autovacuum off; see statisticsWarning).
      await this.analyzeDatabase();
      baseline = await stageHistograms(this.config.port, this.tls);
    }
    const result = await this.carry(buses, control, spec, soakSampleMs, disturb, baseline);
    await beforeStop?.();
    for (const b of buses) b.kill('SIGTERM');
    await Promise.all(buses.map(exited));
    return result;
  }

  /**
   * Carries one load through running bus processes: recipients, then the producer; waits until
   * every copy taken is recorded as delivered; measures what each process spent meanwhile.
   * `baseline`: the bus's stage histograms before this load (after a warm-up), or null.
   */
  private async carry(
    buses: ChildProcess[],
    control: BusProcesses,
    spec: BusRunSpec,
    soakSampleMs: number,
    disturb: ((buses: BusProcesses, done: () => boolean) => Promise<void>) | undefined,
    baseline: StageHistograms | null,
  ): Promise<RunResult> {
    const runNo = ++this.runs;
    const organs = this.endpoints.map((e) => e.organId);
    const senderIds = new Set(this.senders.map((s) => s.organId));
    // The plan is deterministic: count the copies each side must see before starting.
    let toSenders = 0;
    let toOthers = 0;
    for (let i = 0; i < spec.documents; i++) {
      const sender = this.senders[i % this.senders.length]!.organId;
      for (const r of recipientsOf(i, spec.mix, sender, organs)) {
        if (senderIds.has(r)) toSenders++;
        else toOthers++;
      }
    }

    // Consecutive ranges per run: document numbers never repeat within a benchmark.
    const firstNumber = this.nextNumber;
    this.nextNumber += spec.documents;
    const recipientTask: RecipientTask = {
      recipients: this.endpoints.filter((e) => !senderIds.has(e.organId)),
      run: { firstNumber, documents: spec.documents },
      expectedCopies: toOthers,
      out: join(this.outDir, `recipients-${runNo}.json`),
      // Long enough for the whole run: open-loop runs last documents / rate seconds.
      timeoutMs: 600_000 + (spec.rate > 0 ? (spec.documents / spec.rate) * 1000 : 0),
    };
    const recipientProcess = this.track(
      forkWithTask(join(__dirname, 'recipient.js'), recipientTask, this.outDir, runNo),
    );
    await new Promise<void>((r) => recipientProcess.once('message', () => r()));

    const producerTask: ProducerTask = {
      senders: this.senders,
      endpoints: organs,
      documents: spec.documents,
      mix: spec.mix,
      packageBytes: spec.packageBytes,
      window: spec.window,
      rate: spec.rate,
      firstNumber,
      expectedCopies: toSenders,
      urgentLast: spec.urgentLast,
      out: join(this.outDir, `producer-${runNo}.json`),
    };
    const cpuBefore = buses.map((b) => procStat(b.pid!)?.cpuSeconds ?? 0);
    const mainBefore = buses.map((b) => threadCpuSeconds(b.pid!, b.pid!) ?? 0);
    const threadsBefore = threadsCpuSeconds(buses[0]!.pid!);
    // The counters are the local node's: over TLS the bench runs its own broker.
    const brokerRun = measureBroker(!this.tls);
    const pgPids = pidsNamed(/^postgres$/);
    const pgBefore = groupCpuSeconds(pgPids);
    const machineBefore = machineTicks();
    const peaks = buses.map(() => 0);
    const rssSeries: number[] = [];
    const watch = setInterval(() => {
      buses.forEach((b, k) => (peaks[k] = Math.max(peaks[k]!, procStat(b.pid!)?.rssBytes ?? 0)));
    }, 200);
    const soak = soakSampleMs
      ? setInterval(() => rssSeries.push((procStat(buses[0]!.pid!)?.rssBytes ?? 0) / 1e6), soakSampleMs)
      : undefined;
    const producerProcess = this.track(
      forkWithTask(join(__dirname, 'producer.js'), producerTask, this.outDir, runNo),
    );
    let afterWarmUp: StageHistograms | null = null;
    const warmUp =
      spec.rate > 0
        ? setTimeout(() => {
            stageHistograms(this.config.port, this.tls).then(
              (h) => (afterWarmUp = h),
              () => undefined,
            );
          }, WARM_UP_MS)
        : undefined;
    let finished = false;
    const loadDone = Promise.all([exited(producerProcess), exited(recipientProcess)]).then(
      () => (finished = true),
    );
    await Promise.all([loadDone, disturb?.(control, () => finished)]);
    const loadDoneAt = Date.now();
    const unrecorded = await this.untilDeliveriesRecorded();
    const settledAt = Date.now();
    clearInterval(watch);
    if (soak) clearInterval(soak);
    const busCpu = buses.map((b, k) => (procStat(b.pid!)?.cpuSeconds ?? 0) - cpuBefore[k]!);
    const busMain = buses.map((b, k) => (threadCpuSeconds(b.pid!, b.pid!) ?? 0) - mainBefore[k]!);
    const busiest = [...threadsCpuSeconds(buses[0]!.pid!)]
      .filter(([tid]) => tid !== buses[0]!.pid)
      .map(([tid, cpu]) => cpu - (threadsBefore.get(tid) ?? 0))
      .filter((cpu) => cpu >= 0.01)
      .sort((a, b) => b - a);
    const { cpuSeconds: rabbitCpu, messages } = brokerRun();
    // A run on other nodes (a cluster) leaves the local node's counters still.
    const broker = messages && messages.received >= spec.documents ? messages : undefined;
    const pgCpu = groupCpuSeconds(pgPids) - pgBefore;
    const machineAfter = machineTicks();
    clearTimeout(warmUp);
    const histograms = await stageHistograms(this.config.port, this.tls);
    const stages = Object.fromEntries(
      Object.entries(stageFigures(histograms, baseline)).map(([stage, f]) => [stage, f.mean]),
    );
    const stageTails = spec.rate > 0 ? stageFigures(histograms, afterWarmUp ?? baseline) : undefined;
    if (producerProcess.exitCode !== 0 || recipientProcess.exitCode !== 0)
      throw new Error(
        `producer or recipients failed (exit ${producerProcess.exitCode}, ${recipientProcess.exitCode})`,
      );

    const produced = JSON.parse(readFileSync(producerTask.out, 'utf8')) as ProducerReport;
    const received = JSON.parse(readFileSync(recipientTask.out, 'utf8')) as RecipientReport;
    const arrivals = [...received.copies, ...produced.copies];
    const result = analyse(produced, arrivals, spec.documents, settledAt);
    if (unrecorded > 0) {
      result.problems.push(`${unrecorded} copies taken by their recipients but never recorded as delivered`);
      result.verified = false;
    }
    return {
      ...result,
      redeliveriesDropped: received.duplicatesDropped + produced.duplicatesDropped,
      recordingLagSeconds: (settledAt - loadDoneAt) / 1000,
      lastDocument: lastDocumentOf(produced, arrivals),
      processes: [
        ...busCpu.map((cpu, k) => ({
          name: buses.length > 1 ? `bus ${k + 1}` : 'bus',
          cpuSeconds: cpu,
          peakRssMb: peaks[k]! / 1e6,
        })),
        { name: 'producer', cpuSeconds: produced.cpuSeconds, peakRssMb: produced.peakRssBytes / 1e6 },
        { name: 'recipients', cpuSeconds: received.cpuSeconds, peakRssMb: received.peakRssBytes / 1e6 },
        { name: 'rabbitmq (beam.smp)', cpuSeconds: rabbitCpu, peakRssMb: NaN },
        { name: 'postgres (all backends)', cpuSeconds: pgCpu, peakRssMb: NaN },
      ],
      busThreads: {
        main: busMain.reduce((a, b) => a + b, 0),
        others: busCpu.reduce((a, b) => a + b, 0) - busMain.reduce((a, b) => a + b, 0),
        busiest,
      },
      broker,
      machineBusy: (machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total),
      stages,
      stageTails,
      rssSeries,
    };
  }

  /**
   * A run is over when every copy its recipients took is recorded as `delivered` (their notices
   * went through the bus), not at the last arrival: in a closed-loop run the producers keep the
   * ingress queue full of documents and the notices wait behind them, so ending at the last arrival
   * left thousands of notices to the next run (which then looked slower, and its database busier,
   * than the first). Returns how many copies are still unrecorded after a minute without progress.
   */
  private async analyzeDatabase(): Promise<void> {
    const pg = await new PrimaryFinder(databaseNodesOf(this.config)).connectPrimary();
    try {
      await pg.query('ANALYZE');
    } finally {
      await pg.end().catch(() => undefined);
    }
  }

  private async untilDeliveriesRecorded(): Promise<number> {
    let pg: Client | null = null;
    let waiting = -1;
    let progressAt = Date.now();
    try {
      for (;;) {
        let now = waiting;
        try {
          if (!pg) {
            pg = await new PrimaryFinder(databaseNodesOf(this.config)).connectPrimary();
          }
          const { rows } = await pg.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM delivery WHERE state = 'queued'`,
          );
          now = rows[0]!.n;
        } catch {
          await pg?.end().catch(() => undefined); // the chaos suite may just have restarted PostgreSQL
          pg = null;
        }
        if (now === 0) return 0;
        if (now !== waiting) [waiting, progressAt] = [now, Date.now()];
        else if (Date.now() - progressAt > 60_000) return waiting;
        await sleep(100);
      }
    } finally {
      await pg?.end().catch(() => undefined);
    }
  }

  private startBus(port: number): ChildProcess {
    const profile = process.env.BENCH_CPU_PROFILE
      ? ['--cpu-prof', `--cpu-prof-dir=${join(this.outDir, 'profiles')}`]
      : [];
    // Node/V8 flags for the bus processes only (A/B of runtime settings), e.g. --single-threaded-gc.
    profile.push(...(process.env.BENCH_BUS_NODE_FLAGS?.split(/\s+/).filter(Boolean) ?? []));
    return this.track(
      spawn(process.execPath, [...profile, join(busBuild(this.root), 'adapters/cli/main.js'), 'serve'], {
        env: {
          ...process.env,
          ...envOf({ ...this.config, port }, this.tls),
          LOG_LEVEL: 'warn',
          ...this.pkiEnv(),
        },
        stdio: ['ignore', 'ignore', process.env.BENCH_BUS_LOG ? 'inherit' : 'ignore'],
      }),
    );
  }

  /** Every process a run starts, so that the run stops them whatever happens. */
  private track(child: ChildProcess): ChildProcess {
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  private pkiEnv(): Record<string, string> {
    return {
      TRUST_ANCHORS: join(this.pkiDir, 'trust-anchors.pem'),
      TRUST_INTERMEDIATES: join(this.pkiDir, 'intermediates.pem'),
      BUS_SIGNING_KEY: join(this.pkiDir, 'bus.key'),
      BUS_SIGNING_CERT: join(this.pkiDir, 'bus.crt'),
    };
  }
}

/** Tasks travel as files: a long run's plan does not fit in a command line. */
export function forkWithTask(
  script: string,
  task: unknown,
  outDir: string,
  runNo: number | string,
): ChildProcess {
  const file = join(outDir, `task-${String(runNo)}-${script.replace(/.*\//, '')}.json`);
  writeFileSync(file, JSON.stringify(task));
  return fork(script, [file], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

/** The last document sent (the urgent one of the overtaking test): its latency, and the ordinary copies it overtook. */
function lastDocumentOf(produced: ProducerReport, arrivals: CopyArrival[]): RunResult['lastDocument'] {
  const last = produced.sent.reduce((a, b) => (b.at > a.at ? b : a), produced.sent[0]!);
  const arrival = arrivals.find((c) => c.documentId === last.documentId);
  if (!arrival) return undefined;
  return {
    latencyMs: arrival.at - last.at,
    copiesStillWaiting: arrivals.filter((c) => c.at > arrival.at && c.documentId !== last.documentId).length,
  };
}

/** Per stage: sum and count of the bus's `edoc_stage_seconds` histogram, and its cumulative buckets. */
type StageHistograms = Record<string, { sum: number; count: number; buckets: Map<number, number> }>;

async function stageHistograms(port: number, tls: BenchTls | null): Promise<StageHistograms> {
  const text = (await getText(port, '/metrics', tls)).body;
  const out: StageHistograms = {};
  const of = (stage: string) => (out[stage] ??= { sum: 0, count: 0, buckets: new Map() });
  for (const m of text.matchAll(/^edoc_stage_seconds_(bucket|sum|count)\{([^}]*)\} ([\d.e+-]+|\+Inf)$/gm)) {
    const labels = new Map([...m[2]!.matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1]!, l[2]!] as const));
    const h = of(labels.get('stage') ?? '?');
    const value = Number(m[3]);
    if (m[1] === 'sum') h.sum = value;
    else if (m[1] === 'count') h.count = value;
    else h.buckets.set(labels.get('le') === '+Inf' ? Infinity : Number(labels.get('le')), value);
  }
  return out;
}

/** Mean and p99 (upper bound of the bucket holding it, ms) of what was observed since `before`. */
export function stageFigures(
  now: StageHistograms,
  before: StageHistograms | null,
): Record<string, { mean: number; p99: number }> {
  const figures: Record<string, { mean: number; p99: number }> = {};
  for (const [stage, h] of Object.entries(now)) {
    const b = before?.[stage];
    const count = h.count - (b?.count ?? 0);
    if (count <= 0) continue;
    const bounds = [...h.buckets.keys()].sort((x, y) => x - y);
    const p99 = bounds.find((le) => h.buckets.get(le)! - (b?.buckets.get(le) ?? 0) >= 0.99 * count);
    figures[stage] = {
      mean: ((h.sum - (b?.sum ?? 0)) / count) * 1000,
      p99: (p99 ?? Infinity) * 1000,
    };
  }
  return figures;
}

/**
 * The benchmark's own honesty check: every document accepted, every copy in every recipient's
 * inbox exactly once by bus id, every receipt back at its sender. Latency is submit → inbox.
 */
function analyse(
  produced: ProducerReport,
  arrivals: CopyArrival[],
  documents: number,
  settledAt: number,
): Omit<RunResult, 'processes' | 'machineBusy' | 'redeliveriesDropped'> {
  const problems: string[] = [];
  const sent = new Map(produced.sent.map((s) => [s.documentId, s]));
  // A copy an earlier run's recipient took but did not acknowledge (it was stopping, or the broker
  // went away) is redelivered to this run's: correct at-least-once behaviour, not this run's copy.
  const copies = arrivals.filter((c) => sent.has(c.documentId));
  // Likewise a receipt for an earlier run's document (republished after that run's crash or broker
  // restart, at least once) can reach this run's sender, which never sent it: its correlation id is
  // unknown here. Only receipts for this run's documents are judged; a receipt of this run that
  // lost its correlation would leave its document unanswered, which the count below catches.
  const receipts = produced.receipts.filter((r) => sent.has(r.documentId));
  // After a crash a receipt may come twice (same bus id): count documents, not receipts.
  const accepted = [
    ...new Map(receipts.filter((r) => r.outcome === 'accepted').map((r) => [r.documentId, r])).values(),
  ];
  const idsPerDocument = new Map<string, Set<string>>();
  for (const r of receipts.filter((x) => x.outcome === 'accepted'))
    idsPerDocument.set(r.documentId, (idsPerDocument.get(r.documentId) ?? new Set()).add(r.busId ?? ''));
  for (const [documentId, ids] of idsPerDocument)
    if (ids.size > 1) problems.push(`${documentId} accepted under ${ids.size} bus ids`);
  if (produced.sent.length !== documents) problems.push(`sent ${produced.sent.length} of ${documents}`);
  if (accepted.length !== documents)
    problems.push(
      `${accepted.length} accepted receipts for ${documents} documents (${receipts.length - accepted.length} other: ${[
        ...new Set(receipts.filter((r) => r.outcome !== 'accepted').map((r) => r.reason)),
      ].join(', ')})`,
    );
  let duplicateIds = 0;
  const perDocument = new Map<string, Set<string>>();
  const idsPerCopy = new Map<string, Set<string>>();
  for (const c of copies) {
    const key = `${c.documentId}|${c.recipient}`;
    idsPerCopy.set(key, (idsPerCopy.get(key) ?? new Set()).add(c.busId));
    if (idsPerCopy.get(key)!.size === 2) {
      duplicateIds++;
      problems.push(`${key} delivered under two bus ids`);
    }
    const set = perDocument.get(c.busId) ?? new Set<string>();
    if (set.has(c.recipient)) problems.push(`${c.busId} reached ${c.recipient} twice`);
    set.add(c.recipient);
    perDocument.set(c.busId, set);
  }
  for (const r of accepted) {
    const expected = sent.get(r.documentId)?.recipients ?? -1;
    const got = perDocument.get(r.busId ?? '')?.size ?? 0;
    if (got !== expected) problems.push(`document ${r.busId} reached ${got} of ${expected} recipients`);
  }
  const latencies = copies.map((c) => c.at - (sent.get(c.documentId)?.at ?? c.at)).sort((a, b) => a - b);
  const steadyFrom = produced.firstSendAt + WARM_UP_MS;
  const afterWarmUp = copies.filter((c) => (sent.get(c.documentId)?.at ?? 0) >= steadyFrom);
  // A closed-loop run sends everything within the warm-up: then the whole run stands for "steady".
  const steadyCopies = afterWarmUp.length > 0 ? afterWarmUp : copies;
  const latencyOf = (list: CopyArrival[]) =>
    percentiles(list.map((c) => c.at - sent.get(c.documentId)!.at).sort((a, b) => a - b));
  const wide = (c: CopyArrival) => (sent.get(c.documentId)?.recipients ?? 0) > 10;
  const byFanout = {
    upTo10: latencyOf(steadyCopies.filter((c) => !wide(c))),
    broadcast: latencyOf(steadyCopies.filter(wide)),
  };
  // The bus's work on a run ends with the last copy arriving or the last `delivered` notice recorded.
  const lastArrival = latest(copies.map((c) => c.at));
  const seconds = (Math.max(lastArrival, settledAt) - produced.firstSendAt) / 1000;
  return {
    documents,
    copies: new Set(copies.map((c) => `${c.busId}|${c.recipient}`)).size,
    expectedCopies: produced.sent.reduce((n, x) => n + x.recipients, 0),
    duplicateIds,
    seconds,
    docsPerSecond: documents / seconds,
    latencies: percentiles(latencies),
    steady: latencyOf(steadyCopies),
    byFanout,
    verified: problems.length === 0,
    problems: problems.slice(0, 20),
  };
}

/** Latency of documents sent in the first seconds of a run includes the bus's start-up (JIT, caches, inbox declarations). */
export const WARM_UP_MS = 15_000;

/** The largest value; `Math.max(...values)` overflows the stack past ~100,000 arrivals. */
export function latest(values: number[]): number {
  return values.reduce((a, b) => (b > a ? b : a), -Infinity);
}

export function percentiles(sorted: number[]): RunResult['latencies'] {
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
  return { p50: q(0.5), p95: q(0.95), p99: q(0.99), max: sorted[sorted.length - 1] ?? NaN };
}

export function exited(child: ChildProcess): Promise<number | null> {
  // A child ended by a signal keeps exitCode null: without signalCode this waited forever.
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((r) => child.once('exit', (code) => r(code)));
}

/** SIGTERM, then SIGKILL after 10 s for what is still alive; resolves when all have exited. */
export async function stopAll(children: Iterable<ChildProcess>): Promise<void> {
  await Promise.all(
    [...children].map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited(child);
      clearTimeout(killer);
    }),
  );
}
