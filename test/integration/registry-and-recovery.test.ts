import amqplib from 'amqplib';
import { randomUUID } from 'node:crypto';
import {
  ChangeEndpointStatus,
  ChangeEndpointStatusCommand,
} from '../../src/modules/registry/use-cases/change-endpoint-status.use-case';
import { SubmissionRepository } from '../../src/modules/routing/submission-repository.port';
import { uuid7 } from '../../src/modules/shared/ids';
import { DEAD_LETTER_EXCHANGE, inboxQueue } from '../../src/adapters/amqp/amqp-names';
import { documentPackage } from '../support/packages';
import { sleep, waitFor } from '../support/infrastructure';
import { TestBus, type Inbox } from '../support/test-bus';

const G22 = '000.00.00.G22';
const G12 = '000.00.00.G12';
const H41 = '000.00.00.H41';
const H05 = '000.00.00.H05'; // Bắc Kạn, merged into Thái Nguyên (H55) in 2025
const H55 = '000.00.00.H55';

describe('registry changes, redeliveries and crash recovery on a running bus', () => {
  let bus: TestBus;
  let g22: Inbox, g12: Inbox, h41: Inbox, h55: Inbox;

  beforeAll(async () => {
    bus = await TestBus.start();
    await bus.seed();
    [g22, g12, h41, h55] = (await Promise.all([G22, G12, H41, H55].map((o) => bus.inbox(o)))) as [
      Inbox,
      Inbox,
      Inbox,
      Inbox,
    ];
  });
  afterAll(() => bus?.close());

  const status = (code: string, action: 'lock' | 'unlock' | 'close') =>
    bus
      .get(ChangeEndpointStatus)
      .execute(ChangeEndpointStatusCommand.create({ code, action, reason: 'test', actor: 'test' }));

  it('takes over an inbox declared before the quorum group size was configured, without touching it', async () => {
    // RabbitMQ refuses a declaration that adds x-quorum-initial-group-size to a queue made without
    // it (406): the bus declares such a queue again with what it has, on any number of nodes.
    const H56 = '000.00.00.H56'; // Thanh Hóa
    const url = new URL(bus.config.amqpUrl);
    const connection = await amqplib.connect(url.toString());
    try {
      const channel = await connection.createChannel();
      for (const lane of ['normal', 'urgent'] as const) {
        await channel.assertQueue(inboxQueue(H56, lane), {
          durable: true,
          arguments: {
            'x-queue-type': 'quorum',
            'x-delivery-limit': bus.config.inboxDeliveryLimit,
            'x-dead-letter-exchange': DEAD_LETTER_EXCHANGE,
            'x-dead-letter-strategy': 'at-least-once',
            'x-overflow': 'reject-publish',
          },
        });
      }
    } finally {
      await connection.close();
    }
    expect(bus.config.quorumInitialGroupSize).toBe(3);
    const h56 = await bus.inbox(H56);
    const { xml } = documentPackage(G22, [H56]);
    const { messageId } = await g22.client.send(xml);
    const busId = (await g22.receiptFor(messageId)).busId!;
    await waitFor(() => h56.documents.find((d) => d.busId === busId), 'the copy in H56');
  });

  it('refuses a locked recipient per recipient, and delivers again once it is unlocked', async () => {
    await status(H41, 'lock');
    const refused = await g22.receiptFor(
      (await g22.client.send(documentPackage(G22, [H41, G12]).xml)).messageId,
    );
    expect(refused.outcome).toBe('accepted');
    expect(refused.body.toString()).toContain(`organId="${H41}" outcome="refused" reason="RECIPIENT_LOCKED"`);
    await waitFor(() => g12.documents.find((d) => d.busId === refused.busId), 'copy at G12');

    await status(H41, 'unlock');
    const delivered = await g22.receiptFor(
      (await g22.client.send(documentPackage(G22, [H41]).xml)).messageId,
    );
    await waitFor(() => h41.documents.find((d) => d.busId === delivered.busId), 'copy at H41 after unlock');
    expect(h41.documents.some((d) => d.busId === refused.busId)).toBe(false);
  });

  it('refuses every package from a locked sender with SENDER_LOCKED', async () => {
    await status(G12, 'lock');
    try {
      const r = await g12.receiptFor((await g12.client.send(documentPackage(G12, [H41]).xml)).messageId);
      expect(r.outcome).toBe('rejected');
      expect(r.reason).toBe('SENDER_LOCKED');
    } finally {
      await status(G12, 'unlock');
    }
  });

  it('routes mail for a closed province to its successor through the 2025 merger alias', async () => {
    await status(H05, 'close');
    const r = await g22.receiptFor((await g22.client.send(documentPackage(G22, [H05]).xml)).messageId);
    expect(r.outcome).toBe('accepted');
    expect(r.body.toString()).toContain(`organId="${H05}" outcome="queued" routedTo="${H55}"`);
    await waitFor(() => h55.documents.find((d) => d.busId === r.busId), 'copy at the successor H55');
    const [delivery] = await bus.query<{ recipient: string; addressed_to: string }>(
      'SELECT recipient, addressed_to FROM delivery WHERE package_id = $1',
      [r.busId],
    );
    expect(delivery).toEqual({ recipient: H55, addressed_to: H05 });
  });

  it('publishes what a crash left between commit and publish, once its lease runs out', async () => {
    // The state a bus process leaves when it dies right after committing: the package, its
    // deliveries and its outbox rows are stored, nothing was published.
    // The bus's ids are UUIDv7: their time picks the month's partition.
    const busId = uuid7(Date.now());
    const { documentId, xml } = documentPackage(G22, [H41, G12]);
    const now = new Date();
    const stored = await bus.get(SubmissionRepository).storeAcceptedDocument({
      busId,
      sender: G22,
      documentId,
      businessDocType: 0,
      relatedPackageId: null,
      sha256: '00'.repeat(32),
      size: xml.length,
      transport: 'amqp',
      transportMessageId: 'crashed-before-publish',
      subject: null,
      codeNumber: null,
      codeNotation: null,
      priority: 0,
      receivedAt: now,
      acceptedAt: now,
      body: Buffer.from(xml),
      signature: { status: 'unsigned', policy: 'transition-unsigned', flags: ['test'] },
      deliveries: [
        { recipient: H41, addressedTo: H41, arrivalDueAt: now, decisionDueAt: now },
        { recipient: G12, addressedTo: G12, arrivalDueAt: now, decisionDueAt: now },
      ],
      traceEvents: [],
      receipt: {
        id: uuid7(Date.now()),
        recipient: G22,
        packageId: busId,
        quarantineId: null,
        outcome: 'accepted',
        reasonCode: null,
        body: Buffer.from('<r/>'),
        issuedAt: now,
      },
      outbox: [H41, G12].map((destination) => ({
        destination,
        channel: 'broker' as const,
        messageType: 'edoc' as const,
        messageId: busId,
        packageId: busId,
        headers: { 'x-edoc-bus-id': busId },
      })),
    });
    expect(stored.stored).toBe(true);
    // The sweep (lease 2 s in tests) takes the rows over and publishes them.
    for (const inbox of [h41, g12])
      await waitFor(
        () => inbox.documents.find((d) => d.busId === busId),
        `recovered copy at ${inbox.client.organId}`,
        10_000,
      );
    await waitFor(
      async () => (await bus.query(`SELECT 1 FROM outbox WHERE package_id = $1`, [busId])).length === 0,
      'outbox emptied',
    );
    await sleep(500);
    expect(h41.documents.filter((d) => d.busId === busId)).toHaveLength(1);
  });

  it('treats the same message id arriving again as the same message: no second package, no second receipt', async () => {
    const { xml } = documentPackage(G22, [H41]);
    const messageId = `resent-${randomUUID()}`;
    await g22.client.send(xml, { messageId });
    const first = await g22.receiptFor(messageId);
    await g22.client.send(xml, { messageId });
    await sleep(700);
    expect(g22.receipts.filter((r) => r.correlationId === messageId)).toHaveLength(1);
    const rows = await bus.query('SELECT id FROM package WHERE transport_message_id = $1', [messageId]);
    expect(rows).toEqual([{ id: first.busId }]);
  });

  it('hands a copy published twice to the DMS once even while its handler is still busy with the first', async () => {
    const H30 = '000.00.00.H30'; // its DMS takes 300 ms per document
    const taken: string[] = [];
    await bus.inbox(H30, {
      prefetch: 8,
      beforeStart: (inbox) =>
        inbox.client.onDocument(async (d) => {
          await sleep(300);
          taken.push(d.busId);
        }),
    });
    const conn = await amqplib.connect(bus.config.amqpUrl);
    try {
      const ch = await conn.createConfirmChannel();
      const busId = randomUUID();
      for (let i = 0; i < 2; i++)
        ch.publish('', `edoc.inbox.${H30}`, Buffer.from('<edXML/>'), {
          messageId: busId,
          type: 'edoc',
          persistent: true,
          headers: { 'x-edoc-bus-id': busId },
        });
      await ch.waitForConfirms();
      await waitFor(() => taken.includes(busId), 'the copy');
      await sleep(800); // the second copy's turn has come and gone
      expect(taken.filter((b) => b === busId)).toHaveLength(1);
    } finally {
      await conn.close();
    }
  });

  it('hands a copy published twice (after a bus crash) to the DMS once', async () => {
    const conn = await amqplib.connect(bus.config.amqpUrl);
    try {
      const ch = await conn.createConfirmChannel();
      const busId = randomUUID();
      for (let i = 0; i < 2; i++) {
        ch.publish('', `edoc.inbox.${H41}`, Buffer.from('<edXML/>'), {
          messageId: busId,
          type: 'edoc',
          persistent: true,
          headers: { 'x-edoc-bus-id': busId },
        });
      }
      await ch.waitForConfirms();
      await waitFor(() => h41.documents.find((d) => d.busId === busId), 'the copy');
      await sleep(500);
      expect(h41.documents.filter((d) => d.busId === busId)).toHaveLength(1);
    } finally {
      await conn.close();
    }
  });

  it('answers health and readiness, and exports metrics', async () => {
    const base = bus.httpBase();
    expect((await fetch(`${base}/health/live`)).status).toBe(200);
    const ready = await fetch(`${base}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: 'ok',
      checks: { database: 'up', broker: 'up', ingress: 'up' },
    });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/edoc_packages_total\{kind="edoc",outcome="accepted",reason=""\} [1-9]/);
    expect(metrics).toMatch(/edoc_stage_seconds_bucket\{le="[\d.]+",stage="inspect"\}/);
    expect(metrics).toMatch(/edoc_outbox_pending \d+/);
    expect(metrics).toMatch(/edoc_inbox_backlog\{endpoint="000\.00\.00\.G22",lane="urgent"\} \d+/);
    expect(metrics).toMatch(/edoc_oldest_waiting_copy_seconds\{endpoint="000\.00\.00\.\w+"\} [\d.]+/);
    expect(metrics).not.toMatch(/endpoint="(etter|s)"/);
    // What the alerting rules in ops/prometheus watch besides the traffic.
    expect(metrics).toMatch(/edoc_broker_node_up\{node="[^"]+"\} 1/);
    expect(metrics).toMatch(/edoc_quorum_queue_has_leader\{queue="edoc\.ingress"\} 1/);
    expect(metrics).toMatch(/edoc_quorum_queue_online_members\{queue="edoc\.ingress"\} [1-9]/);
    const anchor = /edoc_certificate_not_after_timestamp_seconds\{kind="trust-anchor",[^}]*\} (\d+)/.exec(
      metrics,
    );
    expect(Number(anchor?.[1]) * 1000).toBeGreaterThan(Date.now());
    expect(metrics).toMatch(
      /edoc_certificate_not_after_timestamp_seconds\{kind="signer",[^}]*organ="000\.00\.00\.G22"\} \d+/,
    );
    expect(metrics).toMatch(/edoc_audit_pending_entries \d+/);
    expect(metrics).toMatch(/edoc_audit_oldest_pending_seconds [\d.]+/);
  });
});
