import { writeFileSync } from 'node:fs';
import { EdocBusClient } from '../adapters/amqp/sdk';
import { sampleDocument } from '../adapters/cli/sample-documents';
import { SigningPool } from '../adapters/workers/signing-pool';
import type { ProducerReport, ProducerTask } from './bench-protocol';
import { ResourceSampler } from './resources';

/**
 * A benchmark producer: one SDK client per sending endpoint, documents sent with a bounded number
 * of unconfirmed sends (or at a fixed rate); waits for every receipt.
 */
async function main(): Promise<void> {
  const task = JSON.parse(process.argv[2] ?? '{}') as ProducerTask;
  const sampler = new ResourceSampler();
  const clients = await Promise.all(
    task.senders.map((s) => EdocBusClient.connect({ url: s.url, autoArrivedStatus: false })),
  );
  const report: ProducerReport = {
    sent: [],
    receipts: [],
    firstSendAt: 0,
    lastSendAt: 0,
    cpuSeconds: 0,
    peakRssBytes: 0,
  };
  const receiptsByMessage = new Map<string, string>();
  for (const client of clients) {
    client.onReceipt((r) => {
      const documentId = r.correlationId ? receiptsByMessage.get(r.correlationId) : undefined;
      report.receipts.push({
        documentId: documentId ?? '',
        outcome: r.outcome,
        reason: r.reason,
        busId: r.busId,
        at: Date.now(),
      });
    });
    await client.start();
  }

  // Packages are prepared and signed before the clock starts: the producer must not be the bottleneck.
  const signer = new SigningPool(2);
  const unsigned = Array.from({ length: task.documents }, (_, i) => {
    const sender = task.senders[i % task.senders.length]!;
    const to = pick(task.recipients, task.recipientsPerDocument, i);
    const doc = sampleDocument({
      from: { organId: sender.organId, name: sender.organId },
      to: to.map((organId) => ({ organId, name: organId })),
      number: Number(task.runId) * 100_000 + i,
      attachmentBytes: Math.max(1024, Math.round((task.packageBytes - 6000) * 0.75)),
      priority: i % 10 === 0 ? 1 : 0,
    });
    return { client: clients[i % clients.length]!, sender, documentId: doc.documentId, xml: doc.xml };
  });
  const packages = await Promise.all(
    unsigned.map(async (p) => ({
      client: p.client,
      documentId: p.documentId,
      body: Buffer.from(p.sender.signing ? await signer.sign(p.xml, p.sender.signing) : p.xml),
    })),
  );
  await signer.close();

  report.firstSendAt = Date.now();
  let next = 0;
  const sendOne = async (p: (typeof packages)[number]) => {
    const at = Date.now();
    const { messageId } = await p.client.send(p.body, { sign: false });
    receiptsByMessage.set(messageId, p.documentId);
    report.sent.push({ documentId: p.documentId, at });
  };
  if (task.rate > 0) {
    const interval = 1000 / task.rate;
    const inFlight = new Set<Promise<void>>();
    for (let i = 0; i < packages.length; i++) {
      const due = report.firstSendAt + i * interval;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const p = sendOne(packages[i]!);
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    }
    await Promise.all(inFlight);
  } else {
    await Promise.all(
      Array.from({ length: task.window }, async () => {
        while (next < packages.length) await sendOne(packages[next++]!);
      }),
    );
  }
  report.lastSendAt = Date.now();

  const deadline = Date.now() + 120_000;
  while (report.receipts.length < task.documents && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 50));
  for (const r of report.receipts) if (!r.documentId) r.documentId = '?';
  report.cpuSeconds = sampler.cpuSeconds();
  report.peakRssBytes = sampler.peakRss();
  writeFileSync(task.out, JSON.stringify(report));
  await Promise.all(clients.map((c) => c.close()));
}

function pick<T>(items: T[], count: number, seed: number): T[] {
  const start = (seed * 7) % items.length;
  return Array.from({ length: Math.min(count, items.length) }, (_, k) => items[(start + k) % items.length]!);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
