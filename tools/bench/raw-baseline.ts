import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { exited, latest, percentiles, WARM_UP_MS, type RunResult } from './bus-run';
import { declareRawQueues, type RawReport, type RawTask } from './raw-forwarder';
import { machineTicks, measureBroker, procStat } from './resources';

export interface RawRunSpec {
  documents: number;
  size: number;
  fanout: number;
  window: number;
  rate: number;
  /** The bus-shaped variant (see RawTask.endpoints). */
  endpoints?: number;
}

let runs = 0;

/** One run of the bare forwarder (producer, forwarder and sink as three processes). */
export async function runRaw(url: string, outDir: string, spec: RawRunSpec): Promise<RunResult> {
  const runNo = `raw-${++runs}`;
  await declareRawQueues(url, spec);
  const task: RawTask = { url, ...spec, out: join(outDir, runNo) };
  const script = join(__dirname, 'raw-forwarder.js');
  const spawnRole = (role: string) =>
    fork(script, [role, JSON.stringify(task)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const sink = spawnRole('sink');
  const forwarder = spawnRole('forwarder');
  await Promise.all([sink, forwarder].map((c) => new Promise<void>((r) => c.once('message', () => r()))));
  const brokerRun = measureBroker(true);
  const machineBefore = machineTicks();
  let forwarderPeak = 0;
  const watch = setInterval(
    () => (forwarderPeak = Math.max(forwarderPeak, procStat(forwarder.pid!)?.rssBytes ?? 0)),
    200,
  );
  const producer = spawnRole('producer');
  await Promise.all([producer, forwarder, sink].map(exited));
  clearInterval(watch);
  const { cpuSeconds: rabbitCpu, messages: broker } = brokerRun();
  const machineAfter = machineTicks();
  const read = (role: string) => JSON.parse(readFileSync(`${task.out}.${role}.json`, 'utf8')) as RawReport;
  const [produced, forwarded, sunk] = [read('producer'), read('forwarder'), read('sink')];

  const problems: string[] = [];
  const seen = new Set<string>();
  for (const c of sunk.copies) {
    const key = `${c.n}|${c.queue}`;
    if (seen.has(key)) problems.push(`message ${c.n} reached queue ${c.queue} twice`);
    seen.add(key);
  }
  if (seen.size !== spec.documents * spec.fanout)
    problems.push(`${seen.size} of ${spec.documents * spec.fanout} copies arrived`);
  const latencies = sunk.copies.map((c) => c.latency).sort((a, b) => a - b);
  const steady = sunk.copies
    .filter((c) => c.at - c.latency >= produced.firstSendAt + WARM_UP_MS)
    .map((c) => c.latency)
    .sort((a, b) => a - b);
  const seconds = (latest(sunk.copies.map((c) => c.at)) - produced.firstSendAt) / 1000;
  return {
    documents: spec.documents,
    copies: sunk.copies.length,
    expectedCopies: spec.documents * spec.fanout,
    duplicateIds: 0,
    redeliveriesDropped: 0,
    seconds,
    docsPerSecond: spec.documents / seconds,
    latencies: percentiles(latencies),
    steady: percentiles(steady.length > 0 ? steady : latencies),
    verified: problems.length === 0,
    problems: problems.slice(0, 10),
    processes: [
      { name: 'forwarder', cpuSeconds: forwarded.cpuSeconds, peakRssMb: forwarderPeak / 1e6 },
      { name: 'producer', cpuSeconds: produced.cpuSeconds, peakRssMb: produced.peakRssBytes / 1e6 },
      { name: 'sink', cpuSeconds: sunk.cpuSeconds, peakRssMb: sunk.peakRssBytes / 1e6 },
      { name: 'rabbitmq (beam.smp)', cpuSeconds: rabbitCpu, peakRssMb: NaN },
    ],
    broker,
    machineBusy: (machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total),
  };
}
