import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>;
  samples: number[];
  timeDeltas: number[];
}

/**
 * Where the bus's time went: self time per function from the V8 CPU profiles the bus wrote under
 * `BENCH_CPU_PROFILE=1` (one file per thread: the main thread and each inspection worker).
 */
export function summarizeProfiles(dir: string, top = 12, threads = 3): string {
  // The first bus process's threads (file names start with the time): the first measured run.
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort()
    .slice(0, threads);
  const lines: string[] = [];
  for (const file of files) {
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const self = new Map<string, number>();
    let total = 0;
    profile.samples.forEach((id, i) => {
      const frame = byId.get(id)!.callFrame;
      const where = frame.url.replace(/.*node_modules\//, '').replace(/.*\/dist\//, '');
      const key = `${frame.functionName || '(anonymous)'} ${where}${where ? `:${frame.lineNumber}` : ''}`;
      const dt = profile.timeDeltas[i] ?? 0;
      self.set(key, (self.get(key) ?? 0) + dt);
      total += dt;
    });
    lines.push(`\n${file} (${(total / 1e6).toFixed(1)} s sampled)`);
    for (const [key, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top))
      lines.push(`  ${((100 * us) / total).toFixed(1).padStart(5)} %  ${key}`);
  }
  return lines.join('\n');
}
