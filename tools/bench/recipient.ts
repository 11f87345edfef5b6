import { Logger } from '@nestjs/common';
import { readFileSync, writeFileSync } from 'node:fs';
import { EdocBusClient } from '../../src/adapters/amqp/sdk';
import { inRun, type RecipientReport, type RecipientTask } from './bench-protocol';
import { ResourceSampler } from './resources';

/** A benchmark recipient: one SDK client per receiving endpoint; records when each copy arrived. */
async function main(): Promise<void> {
  Logger.overrideLogger(['error', 'warn']); // no line per connection: the report is the output
  const task = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as RecipientTask;
  const sampler = new ResourceSampler();
  const report: RecipientReport = { copies: [], duplicatesDropped: 0, cpuSeconds: 0, peakRssBytes: 0 };
  const seen = new Set<string>();
  let ours = 0;
  const clients: EdocBusClient[] = [];
  for (const r of task.recipients) {
    const client = await EdocBusClient.connect({
      url: r.url,
      organId: r.organId,
      tls: r.tls,
      autoArrivedStatus: false,
      prefetch: 64,
    });
    client.onDocument((doc) => {
      const key = `${doc.busId}|${r.organId}`;
      if (seen.has(key)) {
        report.duplicatesDropped++;
        return;
      }
      seen.add(key);
      // Only this run's copies count toward the end: a copy an earlier run left unacknowledged may
      // be redelivered here (it is recorded, and the analysis sets it aside).
      if (inRun(doc.documentId, task.run)) ours++;
      report.copies.push({
        documentId: doc.documentId,
        busId: doc.busId,
        recipient: r.organId,
        at: Date.now(),
      });
    });
    await client.start();
    clients.push(client);
  }
  process.send?.('ready');
  // CPU from here: opening the endpoints' connections is not part of carrying the documents.
  const receiving = new ResourceSampler();
  const deadline = Date.now() + task.timeoutMs;
  while (ours < task.expectedCopies && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  report.cpuSeconds = receiving.cpuSeconds();
  report.peakRssBytes = Math.max(sampler.peakRss(), receiving.peakRss());
  writeFileSync(task.out, JSON.stringify(report));
  await Promise.all(clients.map((c) => c.close()));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
