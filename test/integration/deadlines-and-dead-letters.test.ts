import amqplib, { type ConsumeMessage } from 'amqplib';
import { randomUUID } from 'node:crypto';
import { DeadLetterPublisher } from '../../src/adapters/amqp/dead-letters';
import { QueueConsumer } from '../../src/adapters/amqp/queue-consumer';
import { AmqpRuntime } from '../../src/adapters/app/amqp-runtime';
import { runCli, cliEnv } from '../support/cli';
import { sleep, waitFor } from '../support/infrastructure';
import { documentPackage } from '../support/packages';
import { TestBus, type Inbox } from '../support/test-bus';
import { SigningPool } from '../../src/adapters/workers/signing-pool';

const G22 = '000.00.00.G22'; // Văn phòng Chính phủ: the sender
const H41 = '000.00.00.H41'; // answers 01 at once, never decides
const H49 = '000.00.00.H49'; // never answers
const H14 = '000.00.00.H14'; // answers 01 and 03 at once
const H20 = '000.00.00.H20'; // its DMS fails on every document until fixed
const H56 = '000.00.00.H56'; // its inbox refuses publishes for a while (breaker)

interface DeadLetterSummary {
  id: string;
  queue: string;
  reason: string;
  messageId: string | null;
  messageType: string | null;
  userId: string | null;
  redeliveries: number;
}

/**
 * Promises with a clock: deadlines flagged once per copy and level with an overdue receipt to the
 * sender; poison messages that end in the dead letters and come back through `edoc-bus dlq`; and a
 * destination whose publishes keep failing paused without holding up the others.
 */
describe('deadlines, dead letters and the circuit breaker', () => {
  let bus: TestBus;
  let g22: Inbox, h41: Inbox, h49: Inbox, h14: Inbox, h20: Inbox;
  let h20Fixed = false;

  beforeAll(async () => {
    bus = await TestBus.start({
      inboxDeliveryLimit: 2,
      ingressDeliveryLimit: 2,
      deadlines: { arrivalSeconds: [2, 2, 2, 2, 2], decisionSeconds: [4, 4, 4, 4, 4], sweepIntervalMs: 200 },
      breaker: { failures: 2, pauseSeconds: 2 },
    });
    await bus.seed();
    [g22, h41, h49, h14] = (await Promise.all([G22, H41, H49, H14].map((o) => bus.inbox(o)))) as [
      Inbox,
      Inbox,
      Inbox,
      Inbox,
    ];
    h20 = await bus.inbox(H20, {
      beforeStart: (inbox) =>
        inbox.client.onDocument(async (d) => {
          if (!h20Fixed) throw new Error('DMS storage full');
          inbox.documents.push(d);
        }),
    });
    await bus.provision(H56);
  });
  afterAll(() => bus?.close());

  const sendDocument = async (to: string[]) => {
    const pkg = documentPackage(G22, to);
    const sent = await g22.client.send(pkg.xml);
    const receipt = await g22.receiptFor(sent.messageId);
    expect(receipt.outcome).toBe('accepted');
    return { ...pkg, busId: receipt.busId!, messageId: sent.messageId };
  };

  const dlqList = async (queue: string): Promise<DeadLetterSummary[]> => {
    const r = await runCli(['dlq', 'list', '--queue', queue, '--json'], cliEnv(bus));
    if (r.status !== 0) throw new Error(`dlq list failed (${r.status}): ${r.stderr}`);
    return JSON.parse(r.stdout) as DeadLetterSummary[];
  };

  it('flags each late copy once per deadline, tells the sender in overdue receipts, and counts them', async () => {
    const doc = await sendDocument([H41, H49, H14]);
    const at41 = await waitFor(() => h41.documents.find((d) => d.busId === doc.busId), 'copy at H41');
    const at14 = await waitFor(() => h14.documents.find((d) => d.busId === doc.busId), 'copy at H14');
    await waitFor(() => h49.documents.find((d) => d.busId === doc.busId), 'copy at H49 (never answered)');
    for (const [inbox, copy, codes] of [
      [h41, at41, ['01']],
      [h14, at14, ['01', '03']],
    ] as const) {
      for (const code of codes) {
        const sent = await inbox.client.sendStatus(copy, code);
        expect((await inbox.receiptFor(sent.messageId)).outcome).toBe('accepted');
      }
    }

    // H49 misses its 01 (2 s), then H49 and H41 miss their decision (4 s); H14 answered in time.
    const flagged = await waitFor(() => {
      const lines = g22.receipts
        .filter((r) => r.outcome === 'overdue' && r.busId === doc.busId)
        .flatMap((r) =>
          [...r.body.toString().matchAll(/organId="([^"]+)" outcome="(overdue-[a-z]+)"/g)].map(
            (m) => `${m[1]}:${m[2]}`,
          ),
        );
      return lines.length >= 3 ? lines : undefined;
    }, 'three overdue notices');
    await sleep(1500); // several more sweeps: nothing is flagged twice
    const again = g22.receipts
      .filter((r) => r.outcome === 'overdue' && r.busId === doc.busId)
      .flatMap((r) => [...r.body.toString().matchAll(/outcome="(overdue-[a-z]+)"/g)]);
    expect(again).toHaveLength(3);
    expect(flagged.sort()).toEqual([
      `${H41}:overdue-decision`,
      `${H49}:overdue-arrival`,
      `${H49}:overdue-decision`,
    ]);

    const rows = await bus.query<{ recipient: string; overdue: string | null }>(
      `SELECT recipient, overdue FROM delivery WHERE package_id = $1 ORDER BY recipient`,
      [doc.busId],
    );
    expect(rows).toEqual([
      { recipient: H14, overdue: null },
      { recipient: H41, overdue: 'decision' },
      { recipient: H49, overdue: 'decision' },
    ]);
    const trace = await g22.client.trace({ busId: doc.busId });
    const h49Line = trace!.copies.find((c) => c.recipient === H49)!;
    expect(h49Line.history.map((h) => h.event)).toEqual(
      expect.arrayContaining(['queued', 'delivered', 'overdue', 'overdue']),
    );

    const metrics = await (await fetch(`${bus.httpBase()}/metrics`)).text();
    expect(metrics).toMatch(/edoc_overdue_notices_total 3/);
    expect(metrics).toMatch(new RegExp(`edoc_overdue_copies\\{endpoint="${H49.replace(/\./g, '\\.')}"\\} 1`));
    expect(metrics).not.toMatch(
      new RegExp(`edoc_overdue_copies\\{endpoint="${H14.replace(/\./g, '\\.')}"\\} [1-9]`),
    );
  });

  it('dead-letters a copy the recipient cannot take, and an operator redelivers it with a reason', async () => {
    const doc = await sendDocument([H20]);
    const queue = `edoc.inbox.${H20}`;
    const [letter] = await waitFor(async () => {
      const list = await dlqList(queue);
      return list.length > 0 ? list : undefined;
    }, 'dead letter from the H20 inbox');
    expect(letter).toMatchObject({ queue, messageType: 'edoc', redeliveries: 0 });
    expect(letter!.reason).toMatch(/delivery_limit/);
    expect(h20.documents).toHaveLength(0);

    const shown = await runCli(['dlq', 'show', letter!.id], cliEnv(bus));
    expect(shown.status).toBe(0);
    expect(shown.stdout).toContain(`in ${queue}`);
    expect(shown.stdout).toContain(doc.documentId);

    const refused = await runCli(['dlq', 'redeliver', letter!.id], cliEnv(bus));
    expect(refused.status).not.toBe(0); // a reason is required
    expect(refused.stderr).toMatch(/--reason/);

    h20Fixed = true;
    const redelivered = await runCli(
      ['dlq', 'redeliver', letter!.id, '--reason', 'DMS disk expanded', '--actor', 'ops@vpcp'],
      cliEnv(bus),
    );
    expect(redelivered).toMatchObject({ status: 0 });
    expect(redelivered.stdout).toContain(`redelivered to ${queue} (redelivery 1)`);
    const copy = await waitFor(() => h20.documents.find((d) => d.busId === doc.busId), 'copy at H20');
    expect(copy.documentId).toBe(doc.documentId);
    await waitFor(async () => {
      const [row] = await bus.query<{ state: string }>(
        `SELECT state FROM delivery WHERE package_id = $1 AND recipient = $2`,
        [doc.busId, H20],
      );
      return row?.state === 'delivered';
    }, 'H20 copy delivered');

    const after = await runCli(['dlq', 'show', letter!.id], cliEnv(bus));
    expect(after.stdout).toMatch(/by ops@vpcp: DMS disk expanded/);
    expect(await dlqList(queue)).toMatchObject([{ id: letter!.id, redeliveries: 1 }]);
    const pending = await runCli(['dlq', 'list', '--pending', '--json'], cliEnv(bus));
    expect((JSON.parse(pending.stdout) as DeadLetterSummary[]).map((l) => l.id)).not.toContain(letter!.id);
  });

  it('says how many times the broker delivered a dead inbox message, and redelivers it unchanged (properties too)', async () => {
    const H30 = '000.00.00.H30'; // its DMS takes the message and gives it back, every time
    await bus.provision(H30);
    const queue = `edoc.inbox.${H30}`;
    const conn = await amqplib.connect(bus.config.amqpUrl); // the bus's own user may read any inbox
    try {
      const ch = await conn.createConfirmChannel();
      const messageId = `dl-${randomUUID()}`;
      const original = {
        messageId,
        type: 'edoc',
        contentType: 'application/xml',
        appId: 'edoc-bus',
        correlationId: 'c-42',
        persistent: true,
        headers: { 'x-edoc-bus-id': messageId, 'x-edoc-document-id': 'G22,2026/12/06,42/VPCP' },
      };
      await new Promise<void>((resolve, reject) =>
        ch.sendToQueue(queue, Buffer.from('<edXML/>'), original, (err) =>
          err ? reject(err as Error) : resolve(),
        ),
      );
      let deliveries = 0;
      const refusing = await ch.consume(queue, (msg) => {
        if (!msg) return;
        deliveries++;
        ch.nack(msg, false, true);
      });
      const [letter] = await waitFor(async () => {
        const list = (await dlqList(queue)).filter((l) => l.messageId === messageId);
        return list.length > 0 ? list : undefined;
      }, 'the message dead-lettered by the broker');
      await ch.cancel(refusing.consumerTag);
      // The inbox's delivery limit is 2 redeliveries: the broker gave it out three times.
      expect(deliveries).toBe(3);
      expect(letter!.reason).toBe('delivery_limit (delivered 3 times)');

      const redo = await runCli(['dlq', 'redeliver', letter!.id, '--reason', 'DMS fixed'], cliEnv(bus));
      expect(redo).toMatchObject({ status: 0 });
      const back = await waitFor(
        async () => (await ch.get(queue, { noAck: true })) || undefined,
        'redelivered',
      );
      expect(back.content.toString()).toBe('<edXML/>');
      expect(back.properties).toMatchObject({
        messageId,
        type: 'edoc',
        contentType: 'application/xml',
        appId: 'edoc-bus',
        correlationId: 'c-42',
        deliveryMode: 2,
      });
      expect(back.properties.headers).toMatchObject(original.headers);
    } finally {
      await conn.close();
    }
  });

  it('hands a message that keeps breaking its handler to the dead letters with the error, then stops retrying it', async () => {
    const runtime = bus.app.get(AmqpRuntime);
    const queue = `scratch.${randomUUID()}`;
    const deadLetters = new DeadLetterPublisher(runtime.publisher, runtime.identities);
    let calls = 0;
    const consumer = new QueueConsumer(
      runtime.consumerConnection,
      async () => {
        calls++;
        throw new Error('handler defect: unexpected null');
      },
      {
        queue,
        prefetch: 1,
        defects: {
          kind: 'dead-letter',
          deliveryLimit: 3,
          deadLetter: (m, q, r) => deadLetters.publish(m, q, r),
        },
        isOutage: () => false,
        setup: async (model) => {
          const ch = await model.createChannel();
          await ch.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
          await ch.close();
        },
      },
    );
    await consumer.start();
    try {
      await runtime.publisher.publish('', queue, Buffer.from('<poison/>'), {
        messageId: 'poison-1',
        type: 'edoc',
        persistent: true,
      });
      const [letter] = await waitFor(async () => {
        const list = await dlqList(queue);
        return list.length > 0 ? list : undefined;
      }, 'dead letter from the scratch queue');
      expect(letter!.reason).toContain('handler defect: unexpected null');
      expect(calls).toBe(3);
      await sleep(500);
      expect(calls).toBe(3);
      expect(consumer.deadLettered).toBe(1);
    } finally {
      await consumer.stop();
    }
  });

  it('redelivers a dead ingress package on behalf of its original sender, never as the bus', async () => {
    const pkg = documentPackage(G22, [H41]);
    const signed = await SigningPool.instance.sign(pkg.xml, await bus.trust.signing(G22));
    const messageId = randomUUID();
    const runtime = bus.app.get(AmqpRuntime);
    // What the ingress consumer dead-letters after a defect: the broker-validated user_id was G22.
    const died = {
      content: Buffer.from(signed),
      fields: {},
      properties: {
        userId: bus.brokerUser(G22),
        messageId,
        type: 'edoc',
        contentType: 'application/xml',
        headers: {},
      },
    } as unknown as ConsumeMessage;
    await new DeadLetterPublisher(runtime.publisher, runtime.identities).publish(
      died,
      'edoc.ingress',
      'handler defect: database constraint',
    );
    const [letter] = await waitFor(async () => {
      const list = (await dlqList('edoc.ingress')).filter((l) => l.reason.includes('constraint'));
      return list.length > 0 ? list : undefined;
    }, 'dead ingress letter');
    expect(letter).toMatchObject({ userId: G22, messageType: 'edoc' });

    const r = await runCli(['dlq', 'redeliver', letter!.id, '--reason', 'constraint fixed'], cliEnv(bus));
    expect(r).toMatchObject({ status: 0 });
    const receipt = await g22.receiptFor(messageId);
    expect({ outcome: receipt.outcome, reason: receipt.reason }).toEqual({
      outcome: 'accepted',
      reason: undefined,
    });
    const [row] = await bus.query<{ sender: string }>(`SELECT sender FROM package WHERE id = $1`, [
      receipt.busId,
    ]);
    expect(row!.sender).toBe(G22);
    await waitFor(() => h41.documents.find((d) => d.busId === receipt.busId), 'copy at H41');
  });

  it('pauses deliveries to an inbox that keeps refusing publishes, without holding up the others, and resumes', async () => {
    const policy = 'test-refuse-h56';
    await bus.management.putPolicy(bus.vhost, policy, `^edoc\\.inbox\\.000\\.00\\.00\\.H56$`, {
      'max-length': 0,
    });
    await sleep(500); // policies apply asynchronously
    try {
      // A quorum queue applies max-length once it holds that many: the first may still get in.
      const blocked = [];
      for (let i = 0; i < 3; i++) blocked.push(await sendDocument([H56]));
      const paused = await waitFor(async () => {
        const m = await (await fetch(`${bus.httpBase()}/metrics`)).text();
        return /edoc_delivery_paused\{endpoint="[^"]*H56[^"]*"\} 1/.test(m) ? m : undefined;
      }, 'breaker open for H56');
      expect(paused).not.toMatch(/edoc_delivery_paused\{endpoint="[^"]*H41[^"]*"\} 1/);

      const meanwhile = await sendDocument([H41]);
      await waitFor(() => h41.documents.find((d) => d.busId === meanwhile.busId), 'H41 unaffected');
      const [waiting] = await bus.query<{ n: string }>(
        `SELECT count(*) AS n FROM outbox WHERE package_id = ANY($1::uuid[])`,
        [blocked.map((b) => b.busId)],
      );
      expect(Number(waiting!.n)).toBeGreaterThanOrEqual(2);
    } finally {
      // Lift the limit by raising it: RabbitMQ 3.10 quorum queues keep a removed policy's max-length.
      await bus.management.putPolicy(bus.vhost, policy, `^edoc\\.inbox\\.000\\.00\\.00\\.H56$`, {
        'max-length': 1_000_000,
      });
    }
    const h56 = await bus.inbox(H56);
    await waitFor(
      () => (h56.documents.length === 3 ? true : undefined),
      'all three documents at H56',
      40_000,
    );
    const m = await (await fetch(`${bus.httpBase()}/metrics`)).text();
    expect(m).not.toMatch(/edoc_delivery_paused\{endpoint="[^"]*H56[^"]*"\} 1/);
  }, 60_000);
});
