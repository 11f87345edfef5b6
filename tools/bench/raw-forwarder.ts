import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import * as amqp from 'amqplib';
import { ResourceSampler } from './resources';

/**
 * The raw baseline the bus is compared with: the skeleton of a forwarder and nothing else. One
 * process per role, as the bus's producers, bus and recipients are:
 *
 *   producer  → quorum queue raw.in (persistent, confirmed, bounded window or fixed rate)
 *   forwarder → consumes raw.in, republishes each message to 3 durable quorum queues on a confirm
 *               channel, acks the input only once all 3 copies are confirmed
 *   sink      → consumes the 3 output queues, records when each copy arrived
 *
 * No parsing, no signature, no database: what is left is the broker's cost of carrying a 20 KB
 * document to 3 recipients durably, which no bus on this broker can beat.
 *
 * `endpoints` > 0 gives the same skeleton the bus's traffic shape (the "bus-shaped" baseline):
 * that many output queues, each read by its own connection as each endpoint's system reads its
 * inbox; each document's copies go to `fanout` of them; every copy is answered by a small
 * persistent message back to the forwarder (the bus's `delivered` notice or status 01), and each
 * document by a small receipt to the producer. Still no parsing, signature or database: it shows
 * what the traffic pattern alone costs the broker on this machine.
 */
export interface RawTask {
  url: string;
  documents: number;
  size: number;
  fanout: number;
  window: number;
  rate: number;
  /** Output queues, one consumer connection each; 0 = `fanout` queues on one connection, no answers. */
  endpoints?: number;
  out: string;
}

export interface RawReport {
  firstSendAt: number;
  /** Arrival time and latency (ms) of each copy, by message number and output queue. */
  copies: Array<{ n: number; queue: number; at: number; latency: number }>;
  cpuSeconds: number;
  peakRssBytes: number;
}

export const RAW_IN = 'raw.in';
const RAW_ANSWERS = 'raw.answers';
const RAW_RECEIPTS = 'raw.receipts';
const outputQueues = (task: Pick<RawTask, 'fanout' | 'endpoints'>) => task.endpoints || task.fanout;
/** Document `n`'s output queues: all of them, or `fanout` consecutive ones of the endpoints. */
const targetsOf = (n: number, task: Pick<RawTask, 'fanout' | 'endpoints'>) =>
  task.endpoints
    ? Array.from({ length: task.fanout }, (_, k) => (((n * 7) % task.endpoints!) + k) % task.endpoints!)
    : Array.from({ length: task.fanout }, (_, k) => k);
export const rawOut = (k: number) => `raw.out.${k}`;
const DEADLINE_MS = 600_000;

/** Consumes `queue`, acknowledging each message; the returned counter says how many came. */
async function countArrivals(ch: amqp.Channel, queue: string): Promise<{ count: number }> {
  const counter = { count: 0 };
  await ch.consume(queue, (msg) => {
    if (!msg) return;
    counter.count++;
    ch.ack(msg);
  });
  return counter;
}

/** Polls until `done()` or the run's deadline (every run is bounded in time). */
async function until(done: () => boolean, deadline: number): Promise<void> {
  while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}
const QUORUM = { durable: true, arguments: { 'x-queue-type': 'quorum' } };

async function producer(task: RawTask, ch: amqp.ConfirmChannel, report: RawReport): Promise<void> {
  const body = randomBytes(task.size);
  const receipts = task.endpoints ? await countArrivals(ch, RAW_RECEIPTS) : null;
  const sendOne = (n: number) =>
    new Promise<void>((resolve, reject) =>
      ch.publish(
        '',
        RAW_IN,
        body,
        { persistent: true, messageId: String(n), timestamp: Date.now(), headers: { sentAt: Date.now() } },
        (error) => (error ? reject(error as Error) : resolve()),
      ),
    );
  report.firstSendAt = Date.now();
  if (task.rate > 0) {
    const inFlight = new Set<Promise<void>>();
    for (let n = 0; n < task.documents; n++) {
      const wait = report.firstSendAt + (n * 1000) / task.rate - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const p = sendOne(n);
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    }
    await Promise.all(inFlight);
  } else {
    let next = 0;
    await Promise.all(
      Array.from({ length: task.window }, async () => {
        while (next < task.documents) await sendOne(next++);
      }),
    );
  }
  if (receipts) await until(() => receipts.count >= task.documents, Date.now() + DEADLINE_MS);
}

async function forwarder(task: RawTask, conn: amqp.ChannelModel): Promise<void> {
  const input = await conn.createChannel();
  const output = await conn.createConfirmChannel();
  await input.prefetch(64);
  const publish = (queue: string, body: Buffer, properties: amqp.Options.Publish) =>
    new Promise<void>((resolve, reject) =>
      output.publish('', queue, body, { ...properties, persistent: true }, (error) =>
        error ? reject(error as Error) : resolve(),
      ),
    );
  let done = 0;
  const answers = task.endpoints ? await countArrivals(input, RAW_ANSWERS) : null;
  await input.consume(RAW_IN, (msg) => {
    if (!msg) return;
    void Promise.all(
      targetsOf(Number(msg.properties.messageId), task).map((q) =>
        publish(rawOut(q), msg.content, msg.properties),
      ),
    )
      .then(() =>
        task.endpoints
          ? publish(RAW_RECEIPTS, Buffer.from(`{"accepted":"${String(msg.properties.messageId)}"}`), {})
          : undefined,
      )
      .then(
        () => {
          input.ack(msg);
          done++;
        },
        () => input.nack(msg, false, true),
      );
  });
  const copies = task.documents * task.fanout;
  await until(() => done >= task.documents && (answers?.count ?? copies) >= copies, Date.now() + DEADLINE_MS);
}

async function sink(task: RawTask, conn: amqp.ChannelModel, report: RawReport): Promise<void> {
  const record = (msg: amqp.ConsumeMessage, k: number) => {
    const at = Date.now();
    const sentAt = Number(msg.properties.headers?.sentAt ?? at);
    report.copies.push({ n: Number(msg.properties.messageId), queue: k, at, latency: at - sentAt });
  };
  const others: amqp.ChannelModel[] = [];
  let answered = 0;
  if (task.endpoints) {
    // One connection per endpoint, as each endpoint's system holds its own; each copy answered.
    others.push(
      ...(await Promise.all(Array.from({ length: task.endpoints - 1 }, () => amqp.connect(task.url)))),
    );
    for (let k = 0; k < task.endpoints; k++) {
      const own = k === 0 ? conn : others[k - 1]!;
      const ch = await own.createConfirmChannel();
      await ch.prefetch(64);
      await ch.consume(rawOut(k), (msg) => {
        if (!msg) return;
        record(msg, k);
        ch.publish(
          '',
          RAW_ANSWERS,
          Buffer.from(`{"delivered":"${String(msg.properties.messageId)}"}`),
          { persistent: true },
          (error) => (error ? ch.nack(msg, false, true) : (ch.ack(msg), answered++)),
        );
      });
    }
  } else {
    const ch = await conn.createChannel();
    await ch.prefetch(64);
    for (let k = 0; k < task.fanout; k++) {
      await ch.consume(rawOut(k), (msg) => {
        if (!msg) return;
        record(msg, k);
        ch.ack(msg);
      });
    }
  }
  process.send?.('ready');
  const copies = task.documents * task.fanout;
  const deadline = Date.now() + DEADLINE_MS;
  await until(() => report.copies.length >= copies, deadline);
  // Every answer confirmed before the connections close: the forwarder waits for all of them.
  if (task.endpoints) await until(() => answered >= copies, deadline);
  await Promise.all(others.map((c) => c.close()));
}

async function main(): Promise<void> {
  const role = process.argv[2];
  const task = JSON.parse(process.argv[3] ?? '{}') as RawTask;
  const sampler = new ResourceSampler();
  const conn = await amqp.connect(task.url);
  const report: RawReport = { firstSendAt: 0, copies: [], cpuSeconds: 0, peakRssBytes: 0 };
  if (role === 'producer') await producer(task, await conn.createConfirmChannel(), report);
  else if (role === 'forwarder') {
    process.send?.('ready');
    await forwarder(task, conn);
  } else if (role === 'sink') await sink(task, conn, report);
  else throw new Error(`unknown role ${role}`);
  report.cpuSeconds = sampler.cpuSeconds();
  report.peakRssBytes = sampler.peakRss();
  writeFileSync(`${task.out}.${role}.json`, JSON.stringify(report));
  await conn.close();
}

/** Declares (and empties) the baseline's queues: the same quorum type the bus uses. */
export async function declareRawQueues(
  url: string,
  task: Pick<RawTask, 'fanout' | 'endpoints'>,
): Promise<void> {
  const conn = await amqp.connect(url);
  const ch = await conn.createChannel();
  const extra = task.endpoints ? [RAW_ANSWERS, RAW_RECEIPTS] : [];
  for (const q of [RAW_IN, ...extra, ...Array.from({ length: outputQueues(task) }, (_, k) => rawOut(k))]) {
    await ch.assertQueue(q, QUORUM);
    await ch.purgeQueue(q);
  }
  await conn.close();
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
