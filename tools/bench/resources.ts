import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** CPU time and peak resident memory of the current process, sampled for the benchmark report. */
export class ResourceSampler {
  private readonly start = process.cpuUsage();
  private peak = process.memoryUsage().rss;
  private readonly timer: NodeJS.Timeout;

  constructor(intervalMs = 200) {
    this.timer = setInterval(() => (this.peak = Math.max(this.peak, process.memoryUsage().rss)), intervalMs);
    this.timer.unref();
  }

  cpuSeconds(): number {
    const u = process.cpuUsage(this.start);
    return (u.user + u.system) / 1e6;
  }

  peakRss(): number {
    this.peak = Math.max(this.peak, process.memoryUsage().rss);
    return this.peak;
  }
}

/** CPU seconds and RSS of another process, from /proc (Linux). */
export function procStat(pid: number | string): { cpuSeconds: number; rssBytes: number } | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    const rssPages = Number(fields[21]);
    return { cpuSeconds: ticks / 100, rssBytes: rssPages * 4096 };
  } catch {
    return null;
  }
}

/** Pids of running processes whose command name matches (e.g. beam.smp for RabbitMQ, postgres). */
export function pidsNamed(pattern: RegExp): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const comm = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
      if (pattern.test(comm)) pids.push(Number(entry));
    } catch {
      // the process ended meanwhile
    }
  }
  return pids;
}

/** Total CPU seconds of a group of processes (children that ended are not counted). */
export function groupCpuSeconds(pids: number[]): number {
  return pids.reduce((sum, pid) => sum + (procStat(pid)?.cpuSeconds ?? 0), 0);
}

/** Busy fraction of the whole machine between two readings of /proc/stat. */
export function machineTicks(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (values[3] ?? 0) + (values[4] ?? 0);
  const total = values.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

/** CPU seconds of one thread of a process (the main thread's id is the process id). */
export function threadCpuSeconds(pid: number, tid: number): number | null {
  return procStat(`${pid}/task/${tid}`)?.cpuSeconds ?? null;
}

/** Messages the broker handled, from its global counters (every protocol and queue type summed). */
export interface BrokerMessageCounts {
  /** Published to the broker (basic.publish received). */
  received: number;
  /** Publishes the broker confirmed to a confirm-mode publisher. */
  confirmed: number;
  /** Handed to consumers. */
  delivered: number;
  /** Acknowledged by consumers. */
  acknowledged: number;
}

const COUNTER_KEYS: Record<keyof BrokerMessageCounts, string> = {
  received: 'messages_received_total',
  confirmed: 'messages_confirmed_total',
  delivered: 'messages_delivered_total',
  acknowledged: 'messages_acknowledged_total',
};

/**
 * The local broker's global message counters (`rabbit_global_counters`, RabbitMQ ≥ 3.9), read with
 * `rabbitmqctl eval`; `null` when the broker cannot be asked (another node, no rabbitmqctl).
 */
function brokerCounters(node?: string): BrokerMessageCounts | null {
  const args = [...(node ? ['-n', node] : []), 'eval', 'rabbit_global_counters:overview().'];
  const r = spawnSync('rabbitmqctl', args, { encoding: 'utf8', timeout: 15_000 });
  if (r.status !== 0 || !r.stdout) return null;
  const sum = (key: string) =>
    [...r.stdout.matchAll(new RegExp(`\\b${key} => (\\d+)`, 'g'))].reduce((s, m) => s + Number(m[1]), 0);
  return Object.fromEntries(
    Object.entries(COUNTER_KEYS).map(([name, key]) => [name, sum(key)]),
  ) as unknown as BrokerMessageCounts;
}

function countsBetween(before: BrokerMessageCounts, after: BrokerMessageCounts): BrokerMessageCounts {
  const keys = Object.keys(COUNTER_KEYS) as Array<keyof BrokerMessageCounts>;
  return Object.fromEntries(keys.map((k) => [k, after[k] - before[k]])) as unknown as BrokerMessageCounts;
}

/**
 * Starts measuring the local broker around a run; the returned function ends it. CPU is every
 * beam.smp process's; the message counters only with `counters` (the broker a run uses must be
 * the local node for them to mean anything).
 */
export function measureBroker(counters: boolean): () => {
  cpuSeconds: number;
  messages?: BrokerMessageCounts;
} {
  // Asking for the counters costs the broker a little CPU: outside the CPU window at both ends.
  const countsBefore = counters ? brokerCounters() : null;
  const pids = pidsNamed(/^beam\.smp$/);
  const cpuBefore = groupCpuSeconds(pids);
  return () => {
    const cpuSeconds = groupCpuSeconds(pids) - cpuBefore;
    const countsAfter = countsBefore ? brokerCounters() : null;
    return {
      cpuSeconds,
      messages: countsBefore && countsAfter ? countsBetween(countsBefore, countsAfter) : undefined,
    };
  };
}

/** CPU seconds of each thread of a process, by thread id. */
export function threadsCpuSeconds(pid: number): Map<number, number> {
  const threads = new Map<number, number>();
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const cpu = threadCpuSeconds(pid, Number(tid));
      if (cpu !== null) threads.set(Number(tid), cpu);
    }
  } catch {
    // the process ended
  }
  return threads;
}
