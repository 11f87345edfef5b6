import 'reflect-metadata';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { Client } from 'pg';
import { formatTable } from '../adapters/cli/table';
import { loadConfig } from '../adapters/config/bus-config';
import { BusBench, type BusProcesses, type RunResult } from './bus-run';

/**
 * `npm run test:chaos`: documents flow between 20 endpoints through two bus processes while the
 * bus is SIGKILLed and restarted, RabbitMQ is stopped and started, and PostgreSQL is restarted.
 * After each scenario: every accepted document reached every recipient exactly once by bus id
 * (the SDK drops redeliveries of an id it has seen; two ids for one copy is a failure), nothing
 * was lost, every package, copy and receipt is stored, and an export of the audit chain verifies.
 * Loopback only; bounded in documents and time. Exits non-zero on any failure.
 */
const root = resolve(__dirname, '..', '..');
const outDir = join(root, 'bench-output', 'chaos');

type Scenario = 'crash' | 'broker' | 'database';

interface Options {
  documents: string;
  rate: string;
  endpoints: string;
  kills: string;
  scenarios: string;
  tls?: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const randomBetween = (a: number, b: number) => a + Math.random() * (b - a);

function sh(command: string, args: string[]): void {
  const r = spawnSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 120_000 });
  if (r.status !== 0)
    throw new Error(`${command} ${args.join(' ')} failed: ${r.stderr?.toString() ?? r.error}`);
}

async function waitForPort(port: number, seconds: number): Promise<void> {
  const net = await import('node:net');
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect(port, '127.0.0.1', () => (s.end(), r(true)));
      s.on('error', () => r(false));
    });
    if (ok) return;
    await sleep(250);
  }
  throw new Error(`port ${port} did not come back within ${seconds} s`);
}

/** The disturbances, each at random moments while the load runs. */
function disturbance(scenario: Scenario, expectedSeconds: number, kills: number, log: string[]) {
  return async (buses: BusProcesses, done: () => boolean): Promise<void> => {
    const at = (f: number) => sleep(randomBetween(0.15, f) * expectedSeconds * 1000);
    if (scenario === 'crash') {
      for (let i = 0; i < kills && !done(); i++) {
        await at(0.8 / kills);
        if (done()) break;
        const k = Math.floor(Math.random() * buses.count);
        const t0 = Date.now();
        await buses.kill(k, 'SIGKILL');
        await sleep(randomBetween(200, 1500));
        await buses.restart(k);
        log.push(`SIGKILL bus ${k + 1}, back in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      }
    } else if (scenario === 'broker') {
      await at(0.5);
      const t0 = Date.now();
      sh('rabbitmqctl', ['stop_app']);
      await sleep(3000);
      sh('rabbitmqctl', ['start_app']);
      await waitForPort(5672, 60);
      log.push(`rabbitmqctl stop_app / start_app, ${((Date.now() - t0) / 1000).toFixed(1)} s down`);
    } else {
      await at(0.5);
      const version = readdirSync('/etc/postgresql')[0]!;
      const t0 = Date.now();
      sh('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'restart']);
      await waitForPort(5432, 60);
      log.push(`pg_ctlcluster restart, ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
  };
}

interface Stored {
  packages: number;
  deliveries: number;
  acceptedReceipts: number;
}

async function stored(url: string): Promise<Stored> {
  const db = new Client({ connectionString: url });
  await db.connect();
  try {
    const r = await db.query<{ packages: number; deliveries: number; receipts: number }>(
      `SELECT (SELECT count(*) FROM package WHERE kind = 'edoc')::int AS packages,
              (SELECT count(*) FROM delivery)::int AS deliveries,
              (SELECT count(*) FROM receipt WHERE outcome = 'accepted')::int AS receipts`,
    );
    const row = r.rows[0]!;
    return { packages: row.packages, deliveries: row.deliveries, acceptedReceipts: row.receipts };
  } finally {
    await db.end();
  }
}

/** Waits until the sealer has chained everything recorded (it runs in the serving buses). */
async function auditSealed(url: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const db = new Client({ connectionString: url });
    try {
      await db.connect();
      const r = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_pending`);
      if (r.rows[0]!.n === 0) return;
    } catch {
      // the database may still be coming back
    } finally {
      await db.end().catch(() => undefined);
    }
    await sleep(500);
  }
  throw new Error('audit entries still unsealed after 120 s');
}

function auditVerifies(bench: BusBench, from: Date, scenario: string): string {
  const dir = join(outDir, `audit-${scenario}`);
  rmSync(dir, { recursive: true, force: true });
  const cli = join(root, 'dist/adapters/cli/main.js');
  const env = { ...process.env, ...bench.cliEnv() };
  const to = new Date(Date.now() + 60_000).toISOString();
  const exported = spawnSync(
    process.execPath,
    [cli, 'audit', 'export', '--from', from.toISOString(), '--to', to, '--out', dir],
    { env, encoding: 'utf8', timeout: 300_000 },
  );
  if (exported.status !== 0) return `export failed: ${exported.stderr}`;
  const verified = spawnSync(process.execPath, [cli, 'audit', 'verify', dir], {
    env,
    encoding: 'utf8',
    timeout: 300_000,
  });
  return verified.status === 0
    ? verified.stdout.trim().split('\n')[0]!
    : `NOT VERIFIED: ${verified.stdout}${verified.stderr}`;
}

const program = new Command('chaos')
  .option('--documents <n>', 'documents per scenario', '10000')
  .option('--rate <docs/s>', 'open-loop send rate (keeps the load running through the disturbances)', '100')
  .option('--endpoints <n>', 'endpoints exchanging documents', '20')
  .option('--kills <n>', 'SIGKILLs in the crash scenario', '4')
  .option('--scenarios <list>', 'crash,broker,database', 'crash,broker,database')
  .option(
    '--tls',
    'TLS on every channel: the buses serve HTTPS, the endpoints log in over AMQPS by certificate, PostgreSQL verify-full',
  )
  .action(async (opts: Options) => {
    mkdirSync(outDir, { recursive: true });
    const documents = Number(opts.documents);
    const rate = Number(opts.rate);
    const bench = await BusBench.prepare(root, outDir, loadConfig(), 10, Number(opts.endpoints), {
      tls: opts.tls === true,
    });
    if (opts.tls)
      console.log('chaos: over TLS on every channel (HTTPS, AMQPS by certificate, PostgreSQL verify-full)');
    const rows: string[][] = [];
    let failed = false;
    try {
      for (const scenario of opts.scenarios.split(',') as Scenario[]) {
        console.log(`\nchaos: ${scenario} — ${documents} documents at ${rate}/s, 2 bus processes…`);
        const log: string[] = [];
        const before = await stored(bench.databaseUrl);
        const from = new Date(Date.now() - 1000);
        let result: RunResult;
        try {
          result = await bench.run(
            { documents, mix: 'mixed', packageBytes: 20_480, window: 64, rate, busProcesses: 2 },
            0,
            disturbance(scenario, documents / rate, Number(opts.kills), log),
            () => auditSealed(bench.databaseUrl),
          );
        } catch (error) {
          failed = true;
          rows.push([scenario, String(documents), '-', '-', '-', '-', '-', '-', `FAILED: ${String(error)}`]);
          continue;
        }
        const after = await stored(bench.databaseUrl);
        const problems = [...result.problems];
        const stores = {
          packages: after.packages - before.packages,
          deliveries: after.deliveries - before.deliveries,
          receipts: after.acceptedReceipts - before.acceptedReceipts,
        };
        if (stores.packages !== documents)
          problems.push(`${stores.packages} packages stored for ${documents}`);
        if (stores.deliveries !== result.copies)
          problems.push(`${stores.deliveries} deliveries stored for ${result.copies} copies`);
        if (stores.receipts !== documents) problems.push(`${stores.receipts} accepted receipts stored`);
        const audit = auditVerifies(bench, from, scenario);
        if (!audit.startsWith('OK')) problems.push(audit);
        const lost = Math.max(0, result.expectedCopies - result.copies);
        failed ||= problems.length > 0;
        rows.push([
          scenario,
          String(documents),
          `${result.copies} / ${result.expectedCopies}`,
          String(lost),
          String(result.duplicateIds),
          `${Math.max(...result.processes.filter((p) => p.name.startsWith('bus')).map((p) => p.peakRssMb)).toFixed(0)} MB`,
          audit.startsWith('OK') ? `verified, ${/(\d+) entries/.exec(audit)?.[1] ?? '?'} entries` : 'FAILED',
          String(result.redeliveriesDropped),
          `${log.join('; ')}${problems.length ? ` — PROBLEMS: ${problems.slice(0, 5).join('; ')}` : ''}`,
        ]);
        console.log(`  ${rows[rows.length - 1]!.join(' | ')}`);
      }
    } finally {
      await bench.close();
    }
    console.log(
      `\n${formatTable(
        [
          'scenario',
          'documents',
          'copies delivered / expected',
          'lost',
          'two ids',
          'bus peak RSS',
          'audit chain',
          'redeliveries dropped by the SDK',
          'what happened',
        ],
        rows,
      )}`,
    );
    if (failed) {
      console.error('\nCHAOS FAILED');
      process.exitCode = 1;
    } else console.log('\nchaos: nothing lost, nothing delivered twice under two ids, everything stored');
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
