import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatTable } from '../../src/adapters/cli/table';
import type { BusConfig } from '../../src/adapters/config/bus-config';
import { PrimaryFinder } from '../../src/adapters/postgres/primary-finder';
import { BrokerCluster } from './broker-cluster';
import { BusBench, type BusRunSpec, type RunResult } from './bus-run';

/**
 * `npm run bench -- --cluster`: the bus on a three-node RabbitMQ cluster (scripts/cluster) with 1,
 * 2 and 3 `edoc-bus serve` processes sharing the work, closed loop, the median of `runs` each;
 * documents/s and the CPU each process spends per document, so the flattening of the curve on this
 * machine's cores can be read off (who is busy when adding a process stops helping).
 */
export async function clusterScaling(
  root: string,
  outDir: string,
  base: BusConfig,
  spec: Omit<BusRunSpec, 'busProcesses'>,
  runs: number,
  senders: number,
): Promise<boolean> {
  console.log(
    '\nbus on a three-node RabbitMQ cluster: starting the nodes (scripts/cluster/rabbitmq-cluster.sh)…',
  );
  const brokers = await BrokerCluster.start(root, join(tmpdir(), 'edoc-bench-cluster'));
  try {
    const [first, ...others] = brokers.amqpUrls();
    const config: BusConfig = {
      ...base,
      amqpUrl: first!,
      amqpFailoverUrls: others,
      amqpTls: null,
      managementUrl: brokers.managementUrls().join(','),
    };
    const bench = await BusBench.prepare(root, outDir, config, senders);
    const rows: string[][] = [];
    const walBytes: number[] = [];
    const documents: number[] = [];
    let verified = true;
    try {
      let single = NaN;
      for (const processes of [1, 2, 3]) {
        const results: RunResult[] = [];
        for (let r = 0; r < runs; r++) {
          const walBefore = await walPosition(bench.databaseUrls);
          const result = await bench.run({ ...spec, busProcesses: processes });
          walBytes.push((await walPosition(bench.databaseUrls)) - walBefore);
          documents.push(result.documents);
          console.log(
            `  ${processes} bus process${processes > 1 ? 'es' : ''}, run ${r + 1}: ${result.docsPerSecond.toFixed(1)} docs/s${result.verified ? '' : ` — NOT VERIFIED: ${result.problems.join('; ')}`}`,
          );
          verified &&= result.verified;
          results.push(result);
        }
        const sorted = [...results].sort((a, b) => a.docsPerSecond - b.docsPerSecond);
        const median = sorted[Math.floor(sorted.length / 2)]!;
        if (processes === 1) single = median.docsPerSecond;
        rows.push(row(processes, median, results, single));
      }
    } finally {
      await bench.close();
    }
    const wal = walBytes.reduce((a, b) => a + b, 0) / documents.reduce((a, b) => a + b, 0);
    console.log(`\nPostgreSQL WAL written per document (all runs): ${(wal / 1024).toFixed(1)} KiB`);
    console.log(
      `\n${formatTable(
        [
          'bus processes',
          'documents/s (median; runs)',
          'vs 1',
          'CPU ms per document: each bus | RabbitMQ (3 nodes) | PostgreSQL | load generators',
          'machine busy',
        ],
        rows,
      )}`,
    );
    return verified;
  } finally {
    await brokers.stop();
  }
}

/** The database's WAL insert position in bytes (what it has written to its log so far). */
async function walPosition(urls: string[]): Promise<number> {
  const db = await new PrimaryFinder(urls).connectPrimary();
  try {
    const { rows } = await db.query<{ at: string }>(
      `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::text AS at`,
    );
    return Number(rows[0]!.at);
  } finally {
    await db.end();
  }
}

function row(processes: number, median: RunResult, runs: RunResult[], single: number): string[] {
  const perDocument = (name: (n: string) => boolean) =>
    median.processes
      .filter((p) => name(p.name))
      .map((p) => ((p.cpuSeconds * 1000) / median.documents).toFixed(2));
  return [
    String(processes),
    `${median.docsPerSecond.toFixed(1)} (${runs.map((r) => r.docsPerSecond.toFixed(0)).join(' ')})`,
    (median.docsPerSecond / single).toFixed(2),
    [
      perDocument((n) => n.startsWith('bus')).join(' + '),
      perDocument((n) => n.startsWith('rabbitmq'))[0],
      perDocument((n) => n.startsWith('postgres'))[0],
      perDocument((n) => n === 'producer' || n === 'recipients').join(' + '),
    ].join(' | '),
    `${(median.machineBusy * 100).toFixed(0)} %`,
  ];
}
