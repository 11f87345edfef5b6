import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { EdocBusClient } from '../../src/adapters/amqp/sdk';
import { sampleDocument } from '../../src/adapters/cli/sample-documents';
import { SigningPool } from '../../src/adapters/workers/signing-pool';
import { inRun, recipientsOf, type ProducerReport, type ProducerTask } from './bench-protocol';
import { ResourceSampler } from './resources';

/** Packages signed before the clock starts; beyond this, signing runs ahead of sending in chunks. */
const PREPARED_UP_FRONT = 4000;
const CHUNK = 500;

interface Prepared {
  client: EdocBusClient;
  documentId: string;
  recipients: number;
  body: Buffer;
}

/**
 * A benchmark producer: one SDK client per sending endpoint, documents sent with a bounded number
 * of unconfirmed sends (or at a fixed rate); waits for every receipt. The senders' own inboxes
 * are consumed too: broadcasts reach them.
 */
async function main(): Promise<void> {
  Logger.overrideLogger(['error', 'warn']); // no line per connection: the report is the output
  const task = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as ProducerTask;
  const sampler = new ResourceSampler();
  const clients = await Promise.all(
    task.senders.map((s) =>
      EdocBusClient.connect({
        url: s.url,
        organId: s.organId,
        tls: s.tls,
        autoArrivedStatus: false,
        prefetch: 64,
      }),
    ),
  );
  const report: ProducerReport = {
    sent: [],
    receipts: [],
    copies: [],
    duplicatesDropped: 0,
    firstSendAt: 0,
    lastSendAt: 0,
    cpuSeconds: 0,
    peakRssBytes: 0,
  };
  const receiptsByMessage = new Map<string, string>();
  const seen = new Set<string>();
  // Counted as they come (not re-scanned while waiting): documents answered, this run's copies.
  const answered = new Set<string>();
  let ourCopies = 0;
  const run = { firstNumber: task.firstNumber, documents: task.documents };
  for (const [k, client] of clients.entries()) {
    const organId = task.senders[k]!.organId;
    client.onReceipt((r) => {
      const documentId = r.correlationId ? receiptsByMessage.get(r.correlationId) : undefined;
      if (documentId) answered.add(documentId);
      report.receipts.push({
        documentId: documentId ?? '',
        outcome: r.outcome,
        reason: r.reason,
        busId: r.busId,
        at: Date.now(),
      });
    });
    client.onDocument((doc) => {
      const key = `${doc.busId}|${organId}`;
      if (seen.has(key)) {
        report.duplicatesDropped++; // a redelivery of the same bus id: dropped, as a DMS would
        return;
      }
      seen.add(key);
      if (inRun(doc.documentId, run)) ourCopies++;
      report.copies.push({
        documentId: doc.documentId,
        busId: doc.busId,
        recipient: organId,
        at: Date.now(),
      });
    });
    await client.start();
  }

  // The overtaking test needs its whole backlog queued at once: everything is signed first.
  const upFront = task.urgentLast ? task.documents : PREPARED_UP_FRONT;
  const signer = new SigningPool(task.documents > upFront ? 1 : 2);
  const prepare = async (from: number, to: number): Promise<Prepared[]> =>
    Promise.all(
      Array.from({ length: to - from }, async (_, k) => {
        const i = from + k;
        const sender = task.senders[i % task.senders.length]!;
        const to = recipientsOf(i, task.mix, sender.organId, task.endpoints);
        const doc = sampleDocument({
          from: { organId: sender.organId, name: sender.organId },
          to: to.map((organId) => ({ organId, name: organId })),
          number: task.firstNumber + i,
          attachmentBytes: Math.max(1024, Math.round((task.packageBytes - 6000) * 0.75)),
          // 10 % urgent; or, for the overtaking test, only the last one (Hỏa tốc)
          priority: task.urgentLast ? (i === task.documents - 1 ? 3 : 0) : i % 10 === 0 ? 1 : 0,
        });
        const xml = sender.signing ? await signer.sign(doc.xml, sender.signing) : doc.xml;
        return {
          client: clients[i % clients.length]!,
          documentId: doc.documentId,
          recipients: to.length,
          body: Buffer.from(xml),
        };
      }),
    );
  // Packages are signed before the clock starts (the producer must not be the bottleneck); long
  // runs keep signing a bounded distance ahead of sending instead of holding everything.
  const queue: Prepared[] = await prepare(0, Math.min(task.documents, upFront));
  let preparedUpTo = queue.length;
  const topUp = (async () => {
    while (preparedUpTo < task.documents) {
      if (queue.length > upFront) {
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      const to = Math.min(task.documents, preparedUpTo + CHUNK);
      queue.push(...(await prepare(preparedUpTo, to)));
      preparedUpTo = to;
    }
  })();
  const take = async (): Promise<Prepared> => {
    while (queue.length === 0) await new Promise((r) => setTimeout(r, 5));
    return queue.shift()!;
  };

  report.firstSendAt = Date.now();
  // CPU from the first send: signing up front and connecting are not load on the bus's machine
  // during the run (real senders are other machines), so they are not counted against a document.
  const sending = new ResourceSampler();
  const sendOne = async (p: Prepared) => {
    const at = Date.now();
    // Known before sending: the receipt may overtake the publisher confirm.
    const messageId = randomUUID();
    receiptsByMessage.set(messageId, p.documentId);
    await p.client.send(p.body, { sign: false, messageId });
    report.sent.push({ documentId: p.documentId, at, recipients: p.recipients });
  };
  if (task.rate > 0) {
    const interval = 1000 / task.rate;
    const inFlight = new Set<Promise<void>>();
    for (let i = 0; i < task.documents; i++) {
      const wait = report.firstSendAt + i * interval - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const p = sendOne(await take());
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    }
    await Promise.all(inFlight);
  } else {
    let started = 0;
    const backlog = task.urgentLast ? task.documents - 1 : task.documents;
    await Promise.all(
      Array.from({ length: task.window }, async () => {
        while (started < backlog) {
          started++;
          await sendOne(await take());
        }
      }),
    );
    if (task.urgentLast) await sendOne(await take()); // the backlog is confirmed: now the urgent one
  }
  report.lastSendAt = Date.now();
  await topUp;
  await signer.close();

  const deadline = Date.now() + 180_000;
  const done = () => answered.size >= task.documents && ourCopies >= task.expectedCopies;
  while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  for (const r of report.receipts) if (!r.documentId) r.documentId = '?';
  report.cpuSeconds = sending.cpuSeconds();
  report.peakRssBytes = Math.max(sampler.peakRss(), sending.peakRss());
  writeFileSync(task.out, JSON.stringify(report));
  await Promise.all(clients.map((c) => c.close()));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
