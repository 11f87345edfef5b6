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
export function procStat(pid: number): { cpuSeconds: number; rssBytes: number } | null {
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
