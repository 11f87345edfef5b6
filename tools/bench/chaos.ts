import 'reflect-metadata';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import type { Client } from 'pg';
import { PrimaryFinder } from '../../src/adapters/postgres/primary-finder';
import { formatTable } from '../../src/adapters/cli/table';
import { loadConfig } from '../../src/adapters/config/bus-config';
import { tmpdir } from 'node:os';
import { BrokerCluster } from './broker-cluster';
import { BusBench, type BusProcesses, type RunResult } from './bus-run';
import { PROJECT_ROOT } from './project-root';

/**
 * `npm run test:chaos`: documents flow between 20 endpoints through two bus processes while the
 * bus is SIGKILLed and restarted, RabbitMQ is stopped and started, and PostgreSQL is restarted;
 * then, on a three-node RabbitMQ cluster (scripts/cluster), while the node leading the most
 * quorum queues is stopped, restarted and the leaders rebalanced, and while one of three bus
 * processes is SIGKILLed; and on a PostgreSQL primary with a synchronous standby, while the
 * primary is killed and the standby promoted.
 * After each scenario: every accepted document reached every recipient exactly once by bus id
 * (the SDK drops redeliveries of an id it has seen; two ids for one copy is a failure), nothing
 * was lost, every package, copy and receipt is stored, and an export of the audit chain verifies.
 * Loopback only; bounded in documents and time. Exits non-zero on any failure.
 */
const root = PROJECT_ROOT;
const outDir = join(root, 'bench-output', 'chaos');

type Scenario = 'crash' | 'broker' | 'database' | 'node' | 'three-buses' | 'failover';

/** Scenarios that run against the three-node cluster rather than the machine's broker. */
const ON_CLUSTER: ReadonlySet<Scenario> = new Set(['node', 'three-buses']);
/** Scenarios on a PostgreSQL primary with a synchronous standby (scripts/cluster/postgres-pair.sh). */
const ON_PAIR: ReadonlySet<Scenario> = new Set(['failover']);

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

const pairDir = join(tmpdir(), 'edoc-chaos-pg-pair');
const PAIR_PORT = 5461;

/** scripts/cluster/postgres-pair.sh on the chaos suite's primary (5461) and standby (5462). */
async function postgresPair(action: string): Promise<void> {
  const script = join(root, 'scripts/cluster/postgres-pair.sh');
  await promisify(execFile)('sh', [script, action, pairDir, String(PAIR_PORT)], { timeout: 120_000 });
}

/** The disturbances, each at random moments while the load runs. */
function disturbance(
  scenario: Scenario,
  expectedSeconds: number,
  kills: number,
  log: string[],
  cluster: { brokers: BrokerCluster; vhost: string } | null,
  /** What the disturbance itself found wrong (the cluster's state while it worked). */
  problems: string[],
) {
  return async (buses: BusProcesses, done: () => boolean): Promise<void> => {
    const at = (f: number) => sleep(randomBetween(0.15, f) * expectedSeconds * 1000);
    if (scenario === 'failover') {
      await at(0.5);
      const t0 = Date.now();
      await postgresPair('kill-primary');
      // What a failover manager (or an operator) takes to decide: the bus meanwhile has no primary.
      await sleep(1000);
      await postgresPair('promote');
      log.push(
        `primary killed (-m immediate), standby promoted ${((Date.now() - t0) / 1000).toFixed(1)} s later`,
      );
    } else if (scenario === 'node') {
      await at(0.5);
      const { brokers, vhost } = cluster!;
      const before = await brokers.leaders(vhost);
      if (!before.members.every((m) => m === 3)) problems.push('a quorum queue without three members');
      if (before.byNode.size < 2) problems.push('every quorum queue leads on one node');
      const { node, leads, queues } = await brokers.nodeLeadingMost(vhost);
      const t0 = Date.now();
      await brokers.stopNode(node);
      // The load goes on with one node of three down for a while; its queues elect new leaders.
      // Elections take a few seconds on a busy machine, and the management API reports them a
      // little later (3 s was once too short for one queue of 193): 8 s at least.
      await sleep(Math.max(8000, 0.3 * expectedSeconds * 1000));
      const during = await brokers.leaders(vhost);
      const leaderless = during.members.length - [...during.byNode.values()].reduce((a, b) => a + b, 0);
      if (during.byNode.has(node) || leaderless > 0)
        problems.push(`with node ${node} down: ${leaderless} queues without a leader on a running node`);
      await brokers.startNode(node);
      const down = (Date.now() - t0) / 1000;
      await brokers.rebalance();
      const after = await brokers.leaders(vhost);
      if (after.byNode.size < 3 || !after.members.every((m) => m === 3))
        problems.push('after the rebalance: leaders not on every node, or a queue without three members');
      log.push(
        `stopped node ${node} (leading ${leads} of ${queues} quorum queues), ${down.toFixed(1)} s down; ` +
          `restarted and rebalanced: leaders ${[1, 2, 3].map((n) => after.byNode.get(n) ?? 0).join('/')}`,
      );
    } else if (scenario === 'crash' || scenario === 'three-buses') {
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

async function stored(urls: string[]): Promise<Stored> {
  const db = await new PrimaryFinder(urls).connectPrimary();
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
async function auditSealed(urls: string[]): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    let db: Client | null = null;
    try {
      db = await new PrimaryFinder(urls).connectPrimary();
      const r = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_pending`);
      if (r.rows[0]!.n === 0) return;
    } catch {
      // the database may still be coming back
    } finally {
      await db?.end().catch(() => undefined);
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

/** Runs the scenarios on one bench; returns whether any failed (their rows go to `rows`). */
async function runScenarios(
  bench: BusBench,
  scenarios: Scenario[],
  opts: Options,
  rows: string[][],
  cluster: { brokers: BrokerCluster; vhost: string } | null,
): Promise<boolean> {
  const documents = Number(opts.documents);
  const rate = Number(opts.rate);
  let failed = false;
  for (const scenario of scenarios) {
    const busProcesses = scenario === 'three-buses' ? 3 : 2;
    console.log(
      `\nchaos: ${scenario} — ${documents} documents at ${rate}/s, ${busProcesses} bus processes${cluster ? ', three RabbitMQ nodes' : ''}…`,
    );
    const log: string[] = [];
    const seen: string[] = [];
    const before = await stored(bench.databaseUrls);
    const from = new Date(Date.now() - 1000);
    let result: RunResult;
    try {
      result = await bench.run(
        { documents, mix: 'mixed', packageBytes: 20_480, window: 64, rate, busProcesses },
        0,
        // Three buses: one of them is killed once; the two others carry on meanwhile.
        disturbance(
          scenario,
          documents / rate,
          scenario === 'three-buses' ? 1 : Number(opts.kills),
          log,
          cluster,
          seen,
        ),
        () => auditSealed(bench.databaseUrls),
      );
    } catch (error) {
      failed = true;
      rows.push([scenario, String(documents), '-', '-', '-', '-', '-', '-', `FAILED: ${String(error)}`]);
      console.log(
        `  ${scenario} FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
      continue;
    }
    const after = await stored(bench.databaseUrls);
    const problems = [...result.problems, ...seen];
    const stores = {
      packages: after.packages - before.packages,
      deliveries: after.deliveries - before.deliveries,
      receipts: after.acceptedReceipts - before.acceptedReceipts,
    };
    if (stores.packages !== documents) problems.push(`${stores.packages} packages stored for ${documents}`);
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
  return failed;
}

const program = new Command('chaos')
  .option('--documents <n>', 'documents per scenario', '10000')
  .option('--rate <docs/s>', 'open-loop send rate (keeps the load running through the disturbances)', '100')
  .option('--endpoints <n>', 'endpoints exchanging documents', '20')
  .option('--kills <n>', 'SIGKILLs in the crash scenario', '4')
  .option(
    '--scenarios <list>',
    "crash,broker,database (the machine's services); node,three-buses (a three-node RabbitMQ cluster); failover (a PostgreSQL primary and standby)",
    'crash,broker,database,node,three-buses,failover',
  )
  .option(
    '--tls',
    'TLS on every channel: the buses serve HTTPS, the endpoints log in over AMQPS by certificate, PostgreSQL verify-full',
  )
  .action(async (opts: Options) => {
    mkdirSync(outDir, { recursive: true });
    const scenarios = opts.scenarios.split(',').map((name) => name.trim()) as Scenario[];
    const unknown = scenarios.filter(
      (name) => !['crash', 'broker', 'database', ...ON_CLUSTER, ...ON_PAIR].includes(name),
    );
    if (unknown.length > 0) throw new Error(`unknown scenarios: ${unknown.join(', ')}`);
    const rows: string[][] = [];
    let failed = false;
    const onMachine = scenarios.filter((name) => !ON_CLUSTER.has(name) && !ON_PAIR.has(name));
    if (onMachine.length > 0) {
      const bench = await BusBench.prepare(root, outDir, loadConfig(), 10, Number(opts.endpoints), {
        tls: opts.tls === true,
      });
      if (opts.tls)
        console.log('chaos: over TLS on every channel (HTTPS, AMQPS by certificate, PostgreSQL verify-full)');
      try {
        failed = (await runScenarios(bench, onMachine, opts, rows, null)) || failed;
      } finally {
        await bench.close();
      }
    }
    for (const scenario of scenarios.filter((name) => ON_PAIR.has(name))) {
      console.log(
        '\nchaos: starting a PostgreSQL primary and synchronous standby (scripts/cluster/postgres-pair.sh)…',
      );
      await postgresPair('start');
      try {
        const base = loadConfig();
        const config = {
          ...base,
          databaseUrl: `postgres://postgres@127.0.0.1:${PAIR_PORT}/postgres`,
          databaseFailoverUrls: [`postgres://postgres@127.0.0.1:${PAIR_PORT + 1}/postgres`],
        };
        const bench = await BusBench.prepare(root, outDir, config, 10, Number(opts.endpoints));
        try {
          failed = (await runScenarios(bench, [scenario], opts, rows, null)) || failed;
        } finally {
          await bench.close();
        }
      } finally {
        await postgresPair('stop').catch(() => undefined);
      }
    }
    const onCluster = scenarios.filter((name) => ON_CLUSTER.has(name));
    if (onCluster.length > 0) {
      console.log('\nchaos: starting a three-node RabbitMQ cluster (scripts/cluster/rabbitmq-cluster.sh)…');
      const brokers = await BrokerCluster.start(root, join(tmpdir(), 'edoc-chaos-cluster'));
      try {
        // The cluster's nodes on this machine serve plain AMQP: TLS is proven by the scenarios above.
        const base = loadConfig();
        const [first, ...others] = brokers.amqpUrls();
        const config = {
          ...base,
          amqpUrl: first!,
          amqpFailoverUrls: others,
          amqpTls: null,
          managementUrl: brokers.managementUrls().join(','),
        };
        // Right after the join a node has closed a connection of the preparation (seen once in
        // three clean-clone runs: "Channel ended, no reply will be forthcoming"); the bench's set-up
        // is tried again, as a bus process would be restarted, and the failure is said.
        let bench: BusBench | null = null;
        for (let attempt = 1; !bench; attempt++) {
          try {
            bench = await BusBench.prepare(root, outDir, config, 10, Number(opts.endpoints));
          } catch (error) {
            if (attempt === 3) throw error;
            console.log(`  preparing the bench on the cluster failed (${String(error)}); again in 10 s`);
            await sleep(10_000);
          }
        }
        try {
          const cluster = { brokers, vhost: 'edoc-bench' };
          failed = (await runScenarios(bench, onCluster, opts, rows, cluster)) || failed;
        } finally {
          await bench.close();
        }
      } finally {
        await brokers.stop();
      }
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
