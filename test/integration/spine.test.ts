import amqplib from 'amqplib';
import { SigningPool } from '../../src/adapters/workers/signing-pool';
import { DOCTYPE_XXE, malformedXml, xsdInvalidPackage } from '../support/hostile';
import { documentPackage } from '../support/packages';
import { sleep, waitFor } from '../support/infrastructure';
import { TestBus, type Inbox } from '../support/test-bus';
import { xmllintValidate } from '../support/xmllint';

const G22 = '000.00.00.G22'; // Văn phòng Chính phủ
const H41 = '000.00.00.H41'; // Nghệ An
const H49 = '000.00.00.H49'; // Quảng Ninh
const H56 = '000.00.00.H56'; // Thanh Hóa
const H01 = '000.00.00.H01'; // An Giang: a bystander that must receive nothing

describe('the spine: a document from a ministry to three provinces over RabbitMQ', () => {
  let bus: TestBus;
  let g22: Inbox, h41: Inbox, h49: Inbox, h56: Inbox, h01: Inbox;

  beforeAll(async () => {
    bus = await TestBus.start({
      xmlLimits: { maxBytes: 256 * 1024, maxDepth: 64, maxElements: 100_000, maxAttributesPerElement: 64 },
    });
    await bus.seed();
    [g22, h41, h49, h56, h01] = (await Promise.all([G22, H41, H49, H56, H01].map((o) => bus.inbox(o)))) as [
      Inbox,
      Inbox,
      Inbox,
      Inbox,
      Inbox,
    ];
  });
  afterAll(() => bus?.close());

  it('delivers one copy to each recipient, records three deliveries, and sends the sender an accepted receipt', async () => {
    const { documentId, xml } = documentPackage(G22, [H41, H49, H56]);
    const { messageId, bytes } = await g22.client.send(xml);
    expect(bytes.toString()).toContain('<Signature xmlns="http://www.w3.org/2000/09/xmldsig#">');

    const receipt = await g22.receiptFor(messageId);
    expect(receipt.outcome).toBe('accepted');
    expect(receipt.documentId).toBe(documentId);
    const busId = receipt.busId!;
    expect(receipt.body.toString()).toContain(`<BusId>${busId}</BusId>`);
    expect(xmllintValidate(receipt.body, 'bus-receipt.xsd')).toMatchObject({ valid: true });

    for (const inbox of [h41, h49, h56]) {
      await waitFor(() => inbox.documents.find((d) => d.busId === busId), `copy in ${inbox.client.organId}`);
    }
    await sleep(300); // anything extra would have arrived by now
    for (const inbox of [h41, h49, h56]) {
      const copies = inbox.documents.filter((d) => d.busId === busId);
      expect(copies).toHaveLength(1);
      expect(copies[0]!.from).toBe(G22);
      expect(copies[0]!.documentId).toBe(documentId);
      expect(copies[0]!.body.equals(bytes)).toBe(true); // byte for byte: the signature must survive
    }
    expect(h01.documents).toHaveLength(0);
    expect(g22.documents).toHaveLength(0);

    const deliveries = await bus.query<{ recipient: string; state: string }>(
      'SELECT recipient, state FROM delivery WHERE package_id = $1 ORDER BY recipient',
      [busId],
    );
    expect(deliveries.map((d) => d.recipient)).toEqual([H41, H49, H56]);
    const [stored] = await bus.query<{ sender: string; document_id: string }>(
      'SELECT sender, document_id FROM package WHERE id = $1',
      [busId],
    );
    expect(stored).toEqual({ sender: G22, document_id: documentId });
  });

  it('relays a status 03 from a recipient to the sender and stores it against that copy', async () => {
    const { xml } = documentPackage(G22, [H41]);
    const { messageId } = await g22.client.send(xml);
    const busId = (await g22.receiptFor(messageId)).busId!;
    const copy = await waitFor(() => h41.documents.find((d) => d.busId === busId), 'copy in H41');

    const status = await h41.client.sendStatus(copy, '03', 'Đã tiếp nhận, vào sổ văn bản đến');
    const statusReceipt = await h41.receiptFor(status.messageId);
    expect(statusReceipt.outcome).toBe('accepted');

    const relayed = await waitFor(() => g22.statuses.find((s) => s.documentBusId === busId), 'status at G22');
    expect(relayed.statusCode).toBe('03');
    expect(relayed.from).toBe(H41);
    expect(relayed.body.toString()).toContain('<edXML:StatusCode>03</edXML:StatusCode>');

    const [delivery] = await bus.query<{ state: string; last_status_code: string }>(
      'SELECT state, last_status_code FROM delivery WHERE package_id = $1 AND recipient = $2',
      [busId, H41],
    );
    expect(delivery).toEqual({ state: 'accepted', last_status_code: '03' });
    const events = await bus.query<{ event: string; status_code: string; source: string }>(
      `SELECT event, status_code, source FROM trace_event WHERE package_id = $1 AND event = 'status'`,
      [busId],
    );
    expect(events).toEqual([{ event: 'status', status_code: '03', source: 'recipient' }]);
  });

  it('answers a resend of the same package with the original bus id and delivers nothing twice', async () => {
    const { xml } = documentPackage(G22, [H49]);
    const first = await g22.client.send(xml);
    const original = (await g22.receiptFor(first.messageId)).busId!;
    const second = await g22.client.send(xml);
    const duplicate = await g22.receiptFor(second.messageId);
    expect(duplicate.outcome).toBe('duplicate');
    expect(duplicate.busId).toBe(original);
    await sleep(300);
    expect(h49.documents.filter((d) => d.busId === original)).toHaveLength(1);
    const [{ count }] = (await bus.query<{ count: number }>(
      `SELECT count(*)::int AS count FROM delivery WHERE package_id = $1`,
      [original],
    )) as [{ count: number }];
    expect(count).toBe(1);
  });

  it('refuses the same DocumentId with other content as a conflict', async () => {
    const a = documentPackage(G22, [H49], { number: 424242 });
    const b = documentPackage(G22, [H56], { number: 424242 });
    expect(a.documentId).toBe(b.documentId);
    expect((await g22.receiptFor((await g22.client.send(a.xml)).messageId)).outcome).toBe('accepted');
    const conflict = await g22.receiptFor((await g22.client.send(b.xml)).messageId);
    expect(conflict.outcome).toBe('rejected');
    expect(conflict.reason).toBe('DUPLICATE_CONFLICT');
  });

  describe.each([
    ['malformed XML', () => malformedXml(G22), 'XML_MALFORMED'],
    ['a DOCTYPE with an external entity (XXE)', () => DOCTYPE_XXE, 'XML_DOCTYPE_FORBIDDEN'],
    ['a schema violation (Priority 9)', () => xsdInvalidPackage(G22, H41), 'XSD_INVALID'],
    [
      'a From that is not the connection (forged sender)',
      () => documentPackage(H41, [H49]).xml,
      'SENDER_MISMATCH',
    ],
    ['an unknown recipient', () => documentPackage(G22, ['000.00.00.Z99']).xml, 'UNKNOWN_RECIPIENT'],
    [
      'an oversize package',
      () => documentPackage(G22, [H41], { attachmentBytes: 300 * 1024 }).xml,
      'TOO_LARGE',
    ],
  ])('a package with %s', (_label, build, reason) => {
    it(`gets a ${reason} rejection receipt and a quarantine row, and the bus keeps going`, async () => {
      const body = build();
      // Broken packages go out unsigned (they cannot be signed); valid ones are signed by the SDK.
      const { messageId, bytes } = await g22.client.send(body, {
        sign: !['XML_MALFORMED', 'XML_DOCTYPE_FORBIDDEN'].includes(reason),
      });
      const receipt = await g22.receiptFor(messageId);
      expect(receipt.outcome).toBe('rejected');
      expect(receipt.reason).toBe(reason);
      expect(receipt.body.toString()).toMatch(/<Text lang="vi">.+<\/Text>/);
      expect(xmllintValidate(receipt.body, 'bus-receipt.xsd')).toMatchObject({ valid: true });
      const rows = await bus.query<{ reason_code: string; authenticated_sender: string; size_bytes: number }>(
        'SELECT reason_code, authenticated_sender, size_bytes FROM quarantine WHERE transport_message_id = $1',
        [messageId],
      );
      expect(rows).toEqual([{ reason_code: reason, authenticated_sender: G22, size_bytes: bytes.length }]);

      // …and the next good document still goes through.
      const next = await g22.client.send(documentPackage(G22, [H56]).xml);
      expect((await g22.receiptFor(next.messageId)).outcome).toBe('accepted');
    });
  });

  it('accepts a document with some unknown recipients, delivers to the known ones and says which were refused', async () => {
    const { xml } = documentPackage(G22, [H41, '000.00.00.Z98']);
    const receipt = await g22.receiptFor((await g22.client.send(xml)).messageId);
    expect(receipt.outcome).toBe('accepted');
    expect(receipt.body.toString()).toContain(
      'organId="000.00.00.Z98" outcome="refused" reason="UNKNOWN_RECIPIENT"',
    );
    await waitFor(() => h41.documents.find((d) => d.busId === receipt.busId), 'copy in H41');
  });

  describe('the broker itself enforces each endpoint’s rights', () => {
    it('refuses to let an endpoint read another endpoint’s inbox', async () => {
      const conn = await amqplib.connect(bus.endpointUrl(H41));
      try {
        const ch = await conn.createChannel();
        ch.on('error', () => undefined);
        await expect(ch.consume(`edoc.inbox.${H49}`, () => undefined)).rejects.toThrow(/ACCESS_REFUSED|403/);
      } finally {
        await conn.close().catch(() => undefined);
      }
    });

    it('refuses a message whose user_id is another endpoint', async () => {
      const conn = await amqplib.connect(bus.endpointUrl(H41));
      try {
        const ch = await conn.createChannel();
        const closedWith = new Promise<{ code?: number; message: string }>((resolve) =>
          ch.once('error', resolve),
        );
        ch.publish('edoc.submit', 'edoc', Buffer.from(documentPackage(G22, [H49]).xml), {
          userId: bus.brokerUser(G22),
          messageId: 'forged-user-id',
        });
        const error = await closedWith;
        expect(error.code).toBe(406); // PRECONDITION_FAILED: user_id is not the authenticated user
        expect(error.message).toMatch(/user_id/);
      } finally {
        await conn.close().catch(() => undefined);
      }
      await sleep(300);
      const rows = await bus.query(`SELECT 1 FROM package WHERE transport_message_id = 'forged-user-id'`);
      expect(rows).toHaveLength(0);
    });

    it('refuses publishing straight into an inbox and declaring queues', async () => {
      const conn = await amqplib.connect(bus.endpointUrl(H41));
      try {
        const declare = await conn.createChannel();
        declare.on('error', () => undefined);
        await expect(declare.assertQueue('edoc.inbox.rogue')).rejects.toThrow(/ACCESS_REFUSED|403/);
        const direct = await conn.createConfirmChannel();
        direct.on('error', () => undefined);
        const published = new Promise<void>((resolve, reject) =>
          direct.publish(
            '',
            `edoc.inbox.${H49}`,
            Buffer.from('<x/>'),
            { userId: bus.brokerUser(H41) },
            (err) => (err ? reject(asError(err)) : resolve()),
          ),
        );
        await expect(published).rejects.toThrow();
      } finally {
        await conn.close().catch(() => undefined);
      }
      expect(h49.documents.some((d) => d.body.toString() === '<x/>')).toBe(false);
    });

    it('quarantines a message without user_id (no authenticated sender) and sends no receipt', async () => {
      const conn = await amqplib.connect(bus.endpointUrl(H41));
      try {
        const ch = await conn.createConfirmChannel();
        await new Promise<void>((resolve, reject) =>
          ch.publish(
            'edoc.submit',
            'edoc',
            Buffer.from(documentPackage(H41, [H49]).xml),
            { messageId: 'no-user-id', persistent: true },
            (err) => (err ? reject(asError(err)) : resolve()),
          ),
        );
      } finally {
        await conn.close();
      }
      const rows = await waitFor(async () => {
        const r = await bus.query<{ reason_code: string }>(
          `SELECT reason_code FROM quarantine WHERE transport_message_id = 'no-user-id'`,
        );
        return r.length > 0 ? r : undefined;
      }, 'quarantine row');
      expect(rows).toEqual([{ reason_code: 'SENDER_UNAUTHENTICATED' }]);
      expect(h41.receipts.some((r) => r.correlationId === 'no-user-id')).toBe(false);
    });
  });

  it('answers a client written from the AMQP contract alone: correlation_id on receipts, and an urgent document’s duplicate answered in the urgent lane', async () => {
    const H30 = '000.00.00.H30'; // Hậu Giang: a DMS on a plain AMQP library, no SDK
    await bus.provision(H30);
    const conn = await amqplib.connect(bus.endpointUrl(H30));
    try {
      const ch = await conn.createConfirmChannel();
      const received: Array<{ queue: string; msg: amqplib.ConsumeMessage }> = [];
      for (const queue of [`edoc.inbox.${H30}`, `edoc.inbox.${H30}.urgent`]) {
        await ch.consume(queue, (msg) => {
          if (msg) received.push({ queue, msg });
        });
      }
      const signed = Buffer.from(
        await SigningPool.instance.sign(
          documentPackage(H30, [H41], { priority: 3 }).xml,
          await bus.trust.signing(H30),
        ),
      );
      const publish = (messageId: string, routingKey: string) =>
        new Promise<void>((resolve, reject) =>
          ch.publish(
            'edoc.submit',
            routingKey,
            signed,
            { messageId, type: 'edoc', userId: bus.brokerUser(H30), persistent: true },
            (err) => (err ? reject(asError(err)) : resolve()),
          ),
        );
      const answerTo = (messageId: string) =>
        waitFor(
          () => received.find((r) => r.msg.properties.correlationId === messageId),
          `answer to ${messageId}`,
        );

      const first = `hg-${Date.now()}-1`;
      await publish(first, 'urgent');
      const accepted = await answerTo(first);
      expect(accepted.msg.properties).toMatchObject({ type: 'receipt', correlationId: first });
      expect(accepted.msg.properties.headers).toMatchObject({ 'x-edoc-receipt-outcome': 'accepted' });
      expect(accepted.queue).toBe(`edoc.inbox.${H30}.urgent`);

      // The same package again under another id, through the ordinary lane: a duplicate, and its
      // answer is as urgent as the document.
      const again = `hg-${Date.now()}-2`;
      await publish(again, 'edoc');
      const duplicate = await answerTo(again);
      expect(duplicate.msg.properties.headers).toMatchObject({ 'x-edoc-receipt-outcome': 'duplicate' });
      expect(duplicate.queue).toBe(`edoc.inbox.${H30}.urgent`);
    } finally {
      await conn.close();
    }
  });
});

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
