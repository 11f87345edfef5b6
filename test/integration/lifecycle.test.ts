import amqplib from 'amqplib';
import { randomUUID } from 'node:crypto';
import { EdocBusClient } from '../../src/adapters/amqp/sdk';
import {
  formatEdxmlTimestamp,
  writeStatusPackage,
} from '../../src/modules/edoc/writing/write-status-package';
import { AcknowledgeDelivery } from '../../src/modules/routing/use-cases/acknowledge-delivery/acknowledge-delivery.use-case';
import {
  ChangeSignaturePolicy,
  ChangeSignaturePolicyCommand,
} from '../../src/modules/registry/use-cases/change-signature-policy.use-case';
import { uuid7 } from '../../src/modules/shared/ids';
import { documentPackage } from '../support/packages';
import { sleep, waitFor } from '../support/infrastructure';
import { TestBus, type Inbox } from '../support/test-bus';
import { xmllintValidate } from '../support/xmllint';

const G22 = '000.00.00.G22'; // Văn phòng Chính phủ: the sender
const H41 = '000.00.00.H41'; // Nghệ An
const H49 = '000.00.00.H49'; // Quảng Ninh
const H56 = '000.00.00.H56'; // Thanh Hóa: offline until a test connects it
const H14 = '000.00.00.H14'; // Cao Bằng: offline, receives a status-13 recall
const H20 = '000.00.00.H20'; // Đồng Tháp: the backlog
const H30 = '000.00.00.H30'; // Hậu Giang: offline, its copy taken by notices sent from the test
const H31 = '000.00.00.H31'; // offline likewise, its copy recalled first
const H57 = '000.00.00.H57'; // Thừa Thiên Huế: sends statuses, never reads its inbox

interface CopyRow {
  state: string;
  change_kind: string | null;
  change_state: string | null;
  change_package_id: string | null;
  delivered_at: Date | null;
  last_status_code: string | null;
}

/**
 * The delivery lifecycle over the real broker and database: each copy's state from queued to
 * completed, late statuses kept and flagged, recall / update / replacement, urgent lanes,
 * refusals of statuses that do not fit, and dead letters.
 */
describe('delivery lifecycle', () => {
  let bus: TestBus;
  let g22: Inbox, h41: Inbox, h49: Inbox;

  beforeAll(async () => {
    bus = await TestBus.start({ inboxDeliveryLimit: 3 });
    await bus.seed();
    [g22, h41, h49] = (await Promise.all([G22, H41, H49].map((o) => bus.inbox(o)))) as [Inbox, Inbox, Inbox];
    for (const offline of [H56, H14, H20]) await bus.provision(offline);
  });
  afterAll(() => bus?.close());

  const copyOf = async (busId: string, recipient: string): Promise<CopyRow | undefined> =>
    (
      await bus.query<CopyRow>(
        `SELECT state, change_kind, change_state, change_package_id, delivered_at, last_status_code
           FROM delivery WHERE package_id = $1 AND recipient = $2`,
        [busId, recipient],
      )
    )[0];

  const waitForState = (busId: string, recipient: string, check: (c: CopyRow) => boolean, what: string) =>
    waitFor(async () => {
      const c = await copyOf(busId, recipient);
      return c && check(c) ? c : undefined;
    }, what);

  /** Sends a document from G22 and returns its bus id once accepted. */
  const sendDocument = async (to: string[], options: Parameters<typeof documentPackage>[2] = {}) => {
    const pkg = documentPackage(G22, to, options);
    const sent = await g22.client.send(pkg.xml);
    const receipt = await g22.receiptFor(sent.messageId);
    expect(receipt.outcome).toBe('accepted');
    return { ...pkg, busId: receipt.busId!, messageId: sent.messageId };
  };

  const statusAccepted = async (
    inbox: Inbox,
    doc: { documentId: string; from: string },
    code: string,
    description?: string,
  ) => {
    const sent = await inbox.client.sendStatus(doc, code, description);
    const receipt = await inbox.receiptFor(sent.messageId);
    expect({ code, outcome: receipt.outcome, reason: receipt.reason }).toEqual({
      code,
      outcome: 'accepted',
      reason: undefined,
    });
  };

  it('walks a copy from queued through delivered and 01…06, keeps a late status flagged, and shows it all in the trace', async () => {
    const doc = await sendDocument([H41]);
    const copy = await waitFor(() => h41.documents.find((d) => d.busId === doc.busId), 'copy at H41');
    const delivered = await waitForState(
      doc.busId,
      H41,
      (c) => c.state === 'delivered',
      'delivered recorded',
    );
    expect(delivered.delivered_at).toBeInstanceOf(Date);

    for (const code of ['01', '03', '04', '05', '06']) await statusAccepted(h41, copy, code);
    // A late repeat (other words, so not the same bytes, which would be a duplicate): kept, flagged, not applied.
    await statusAccepted(h41, copy, '04', 'Phân công lại');

    const relayed = await waitFor(() => {
      const s = g22.statuses.filter((x) => x.documentBusId === doc.busId);
      return s.length === 6 ? s : undefined;
    }, 'six statuses at G22');
    expect(relayed.map((s) => s.statusCode).sort()).toEqual(['01', '03', '04', '04', '05', '06']);
    expect(await copyOf(doc.busId, H41)).toMatchObject({ state: 'completed', last_status_code: '04' });

    const trace = await g22.client.trace({ busId: doc.busId });
    expect(trace).toMatchObject({
      busId: doc.busId,
      documentId: doc.documentId,
      sender: G22,
      businessDocType: 0,
    });
    const line = trace!.copies.find((c) => c.recipient === H41)!;
    expect(line.state).toBe('completed');
    expect(line.history.map((h) => (h.event === 'status' ? h.statusCode : h.event))).toEqual([
      'queued',
      'delivered',
      '01',
      '03',
      '04',
      '05',
      '06',
      '04',
    ]);
    expect(line.history[1]).toMatchObject({
      source: 'recipient',
      stateBefore: 'queued',
      stateAfter: 'delivered',
    });
    expect(line.history[2]).toMatchObject({
      source: 'recipient',
      stateBefore: 'delivered',
      stateAfter: 'arrived',
      flag: null,
    });
    expect(line.history[7]).toMatchObject({
      stateBefore: 'completed',
      stateAfter: 'completed',
      flag: expect.stringMatching(/out of order/),
    });
    expect(line.arrivalDueAt).toEqual(expect.any(String));

    // By DocumentId too; and nobody but the sender sees it, not even whether it exists.
    expect((await g22.client.trace({ documentId: doc.documentId }))?.busId).toBe(doc.busId);
    expect(await h41.client.trace({ busId: doc.busId })).toBeNull();
    expect(await g22.client.trace({ busId: 'not-a-uuid' })).toBeNull();
  });

  it('records a 02 rejection and flags an acceptance that comes after it', async () => {
    const doc = await sendDocument([H49]);
    const copy = await waitFor(() => h49.documents.find((d) => d.busId === doc.busId), 'copy at H49');
    await statusAccepted(h49, copy, '01');
    await statusAccepted(h49, copy, '02');
    await statusAccepted(h49, copy, '03');
    expect(await copyOf(doc.busId, H49)).toMatchObject({ state: 'rejected' });
    const flagged = await bus.query<{ status_code: string; flag: string }>(
      `SELECT status_code, flag FROM trace_event WHERE package_id = $1 AND flag IS NOT NULL`,
      [doc.busId],
    );
    expect(flagged).toEqual([
      { status_code: '03', flag: expect.stringMatching(/after the copy was rejected/) },
    ]);
  });

  it('applies a 06 sent for a copy still queued (no 01 before it) and flags it', async () => {
    // H57's system reads nothing: its copy waits, queued. It only sends.
    await bus.provision(H57);
    const doc = await sendDocument([H57]);
    const h57 = await EdocBusClient.connect({
      url: bus.endpointUrl(H57),
      organId: H57,
      signing: await bus.trust.signing(H57),
    });
    try {
      await h57.sendStatus({ documentId: doc.documentId, from: G22 }, '06', 'Hoàn thành');
      const completed = await waitForState(doc.busId, H57, (c) => c.state === 'completed', '06 applied');
      expect(completed.last_status_code).toBe('06');
    } finally {
      await h57.close();
    }
    const flagged = await bus.query<{ status_code: string; flag: string }>(
      `SELECT status_code, flag FROM trace_event WHERE package_id = $1 AND recipient = $2 AND flag IS NOT NULL`,
      [doc.busId, H57],
    );
    expect(flagged).toEqual([
      { status_code: '06', flag: 'status 06 applied before 01 (arrived) and 03 (accepted) (out of order)' },
    ]);
    const relayed = await waitFor(
      () => g22.statuses.find((x) => x.documentBusId === doc.busId && x.statusCode === '06'),
      '06 relayed to G22',
    );
    expect(relayed.from).toBe(H57);
  });

  it('recalls a document: withdraws the copy still in an inbox, asks the others, and records 15 and 16', async () => {
    const doc = await sendDocument([H41, H49, H56]);
    for (const [inbox, organ] of [
      [h41, H41],
      [h49, H49],
    ] as const) {
      await waitFor(() => inbox.documents.find((d) => d.busId === doc.busId), `copy at ${organ}`);
      await waitForState(doc.busId, organ, (c) => c.state === 'delivered', `${organ} took its copy`);
    }

    const recall = await sendDocument([H41, H49, H56], {
      change: { businessDocType: 1, originalDocumentId: doc.documentId },
    });
    const withdrawn = await waitFor(
      () => g22.receipts.find((r) => r.outcome === 'withdrawn' && r.busId === doc.busId),
      'withdrawn receipt',
    );
    expect(withdrawn.body.toString()).toMatch(new RegExp(`organId="${H56}" outcome="withdrawn"`));
    expect(withdrawn.body.toString()).not.toContain(`organId="${H41}"`);
    expect(xmllintValidate(withdrawn.body, 'bus-receipt.xsd')).toMatchObject({ valid: true });

    expect(await copyOf(doc.busId, H56)).toMatchObject({
      state: 'queued',
      change_kind: 'recall',
      change_state: 'withdrawn',
    });
    expect(await copyOf(doc.busId, H41)).toMatchObject({
      change_state: 'requested',
      change_package_id: recall.busId,
    });
    const [link] = await bus.query<{ related_package_id: string }>(
      `SELECT related_package_id FROM package WHERE id = $1`,
      [recall.busId],
    );
    expect(link!.related_package_id).toBe(doc.busId);
    // Nothing to answer for the recipient whose copy was withdrawn unseen: no recall copy for it.
    expect(await copyOf(recall.busId, H56)).toBeUndefined();

    const recallAt41 = await waitFor(
      () => h41.documents.find((d) => d.busId === recall.busId),
      'recall at H41',
    );
    expect(recallAt41).toMatchObject({ businessDocType: 1, originalBusId: doc.busId });
    const recallAt49 = await waitFor(
      () => h49.documents.find((d) => d.busId === recall.busId),
      'recall at H49',
    );
    await statusAccepted(h41, recallAt41, '15'); // agrees, naming the recall package
    await statusAccepted(h49, { documentId: doc.documentId, from: G22 }, '16'); // refuses, naming the original
    expect(await copyOf(doc.busId, H41)).toMatchObject({ change_state: 'agreed' });
    expect(await copyOf(doc.busId, H49)).toMatchObject({ change_state: 'refused' });
    expect(recallAt49.businessDocType).toBe(1);
    const answers = await waitFor(() => {
      const s = g22.statuses.filter((x) => x.documentBusId === doc.busId);
      return s.length === 2 ? s : undefined;
    }, '15 and 16 at G22');
    expect(answers.map((s) => `${s.from}:${s.statusCode}`).sort()).toEqual([`${H41}:15`, `${H49}:16`]);

    // H56 comes online: its SDK is told first, and never hands the withdrawn document over.
    const h56 = await bus.inbox(H56);
    await waitFor(() => h56.withdrawals.find((w) => w.busId === doc.busId), 'withdrawal at H56');
    await sleep(500);
    expect(h56.documents).toHaveLength(0);
    expect(await copyOf(doc.busId, H56)).toMatchObject({ state: 'queued', change_state: 'withdrawn' });

    const trace = await g22.client.trace({ busId: doc.busId });
    expect(trace!.changes).toEqual([
      { busId: recall.busId, businessDocType: 1, acceptedAt: expect.any(String) },
    ]);
    expect(trace!.copies.map((c) => [c.recipient, c.change?.state])).toEqual([
      [H41, 'agreed'],
      [H49, 'refused'],
      [H56, 'withdrawn'],
    ]);
  });

  it('withdraws an undelivered copy on a status 13 from the sender', async () => {
    const doc = await sendDocument([H14]);
    const ask = await g22.client.requestRecall(doc, H14);
    expect(await g22.receiptFor(ask.messageId)).toMatchObject({ outcome: 'accepted' });
    await waitFor(
      () => g22.receipts.find((r) => r.outcome === 'withdrawn' && r.busId === doc.busId),
      'withdrawn receipt',
    );
    expect(await copyOf(doc.busId, H14)).toMatchObject({ state: 'queued', change_state: 'withdrawn' });
    const h14 = await bus.inbox(H14);
    await waitFor(() => h14.withdrawals.find((w) => w.busId === doc.busId), 'withdrawal at H14');
    await waitFor(() => h14.statuses.find((s) => s.statusCode === '13'), 'the 13 itself at H14');
    await sleep(300);
    expect(h14.documents).toHaveLength(0);
  });

  it('records a taken copy once under repeated and concurrent notices, and flags one taken after a recall withdrew it', async () => {
    const acknowledge = bus.get(AcknowledgeDelivery);
    const notice = (recipient: string, busId: string) =>
      acknowledge.execute({
        transport: 'amqp',
        authenticatedRecipient: recipient,
        busId,
        transportMessageId: `${busId}:delivered`,
        body: Buffer.from(JSON.stringify({ busId })),
        receivedAt: new Date(),
      });
    const deliveredEvents = async (busId: string, recipient: string) =>
      bus.query<{ state_before: string; state_after: string; flag: string | null }>(
        `SELECT state_before, state_after, flag FROM trace_event WHERE package_id = $1 AND recipient = $2 AND event = 'delivered'`,
        [busId, recipient],
      );
    // H30 and H31 are provisioned but never consume here: their copies stay queued until the notices below.
    await Promise.all([H30, H31].map((o) => bus.provision(o)));
    const doc = await sendDocument([H30, H31]);

    const outcomes = await Promise.all(Array.from({ length: 8 }, () => notice(H30, doc.busId)));
    expect(outcomes.map((o) => o.outcome)).toEqual(Array(8).fill('recorded'));
    await notice(H30, doc.busId);
    expect(await copyOf(doc.busId, H30)).toMatchObject({ state: 'delivered', change_state: null });
    expect(await deliveredEvents(doc.busId, H30)).toEqual([
      { state_before: 'queued', state_after: 'delivered', flag: null },
    ]);

    const ask = await g22.client.requestRecall(doc, H31);
    expect(await g22.receiptFor(ask.messageId)).toMatchObject({ outcome: 'accepted' });
    await waitForState(doc.busId, H31, (c) => c.change_state === 'withdrawn', 'H31 copy withdrawn');
    expect(await notice(H31, doc.busId)).toMatchObject({ outcome: 'recorded' });
    expect(await copyOf(doc.busId, H31)).toMatchObject({ state: 'delivered', change_state: 'requested' });
    const [taken] = await deliveredEvents(doc.busId, H31);
    expect(taken!.flag).toMatch(/while a recall withdrew it/);

    // A copy that does not exist for this endpoint is refused, not invented.
    expect(await notice(H41, doc.busId)).toMatchObject({
      outcome: 'rejected',
      refusal: { code: 'COPY_UNKNOWN' },
    });

    // Notices of the same moment are written together: each copy moves once, with one trace
    // event, whatever else is in the batch (a repeat, a copy that does not exist).
    const next = await sendDocument([H30, H31]);
    const mixed = await Promise.all([
      notice(H30, next.busId),
      notice(H41, next.busId),
      notice(H31, next.busId),
      notice(H30, next.busId),
    ]);
    expect(mixed.map((o) => (o.outcome === 'rejected' ? o.refusal.code : o.transition.state))).toEqual([
      'delivered',
      'COPY_UNKNOWN',
      'delivered',
      'delivered',
    ]);
    for (const recipient of [H30, H31]) {
      expect(await copyOf(next.busId, recipient)).toMatchObject({ state: 'delivered' });
      expect(await deliveredEvents(next.busId, recipient)).toEqual([
        { state_before: 'queued', state_after: 'delivered', flag: null },
      ]);
    }
  });

  it('links an update and a replacement to their original and tracks each answer', async () => {
    const original = await sendDocument([H41]);
    await waitForState(original.busId, H41, (c) => c.state === 'delivered', 'H41 took the original');

    const update = await sendDocument([H41], {
      change: { businessDocType: 2, originalDocumentId: original.documentId },
    });
    const updateAt41 = await waitFor(
      () => h41.documents.find((d) => d.busId === update.busId),
      'update at H41',
    );
    expect(updateAt41).toMatchObject({ businessDocType: 2, originalBusId: original.busId });
    expect(await copyOf(original.busId, H41)).toMatchObject({
      change_kind: 'update',
      change_state: 'requested',
      change_package_id: update.busId,
    });
    await statusAccepted(h41, updateAt41, '15');
    expect(await copyOf(original.busId, H41)).toMatchObject({
      change_kind: 'update',
      change_state: 'agreed',
    });

    const replacement = await sendDocument([H41], {
      change: { businessDocType: 3, originalDocumentId: original.documentId },
    });
    const replacementAt41 = await waitFor(
      () => h41.documents.find((d) => d.busId === replacement.busId),
      'replacement at H41',
    );
    expect(replacementAt41).toMatchObject({ businessDocType: 3, originalBusId: original.busId });
    expect(await copyOf(original.busId, H41)).toMatchObject({
      change_kind: 'replacement',
      change_state: 'requested',
    });
    await statusAccepted(h41, { documentId: original.documentId, from: G22 }, '16');
    expect(await copyOf(original.busId, H41)).toMatchObject({
      change_kind: 'replacement',
      change_state: 'refused',
    });

    const links = await bus.query<{ id: string; business_doc_type: number; related_package_id: string }>(
      `SELECT id, business_doc_type, related_package_id FROM package WHERE related_package_id = $1 AND kind = 'edoc' ORDER BY accepted_at`,
      [original.busId],
    );
    expect(links).toEqual([
      { id: update.busId, business_doc_type: 2, related_package_id: original.busId },
      { id: replacement.busId, business_doc_type: 3, related_package_id: original.busId },
    ]);
    const trace = await g22.client.trace({ busId: original.busId });
    expect(trace!.changes.map((c) => c.businessDocType)).toEqual([2, 3]);
  });

  it('refuses a change whose original is unknown, or addressed to someone who did not receive it', async () => {
    const unknown = documentPackage(G22, [H41], {
      change: { businessDocType: 2, originalDocumentId: `${G22},2020/01/01,1/XX` },
    });
    const r1 = await g22.receiptFor((await g22.client.send(unknown.xml)).messageId);
    expect(r1).toMatchObject({ outcome: 'rejected', reason: 'ORIGINAL_NOT_FOUND' });

    const original = await sendDocument([H41]);
    const stranger = documentPackage(G22, [H41, H49], {
      change: { businessDocType: 1, originalDocumentId: original.documentId },
    });
    const r2 = await g22.receiptFor((await g22.client.send(stranger.xml)).messageId);
    expect(r2).toMatchObject({ outcome: 'rejected', reason: 'NOT_A_RECIPIENT_OF_ORIGINAL' });
    expect(r2.body.toString()).toContain(`${H49} did not receive`);
    expect(await copyOf(original.busId, H41)).toMatchObject({ change_state: null });
  });

  describe('statuses and notices that do not fit get a rejection receipt and a quarantine row', () => {
    const quarantined = async (transportMessageId: string) =>
      (
        await bus.query<{ reason_code: string; message_type: string; authenticated_sender: string }>(
          `SELECT reason_code, message_type, authenticated_sender FROM quarantine WHERE transport_message_id = $1`,
          [transportMessageId],
        )
      )[0];

    it('a status about a document the bus does not know', async () => {
      const sent = await h41.client.sendStatus(
        { documentId: `${G22},2020/01/01,424242/VP`, from: G22 },
        '01',
      );
      expect(await h41.receiptFor(sent.messageId)).toMatchObject({
        outcome: 'rejected',
        reason: 'STATUS_UNKNOWN_DOCUMENT',
      });
      expect(await quarantined(sent.messageId)).toEqual({
        reason_code: 'STATUS_UNKNOWN_DOCUMENT',
        message_type: 'status',
        authenticated_sender: H41,
      });
    });

    it('a status code outside the list (99): refused, quarantined, never relayed', async () => {
      const doc = await sendDocument([H41]);
      const copy = await waitFor(() => h41.documents.find((d) => d.busId === doc.busId), 'copy at H41');
      const sent = await h41.client.sendStatus(copy, '99', 'Không có mã này');
      expect(await h41.receiptFor(sent.messageId)).toMatchObject({
        outcome: 'rejected',
        reason: 'STATUS_CODE_UNKNOWN',
      });
      expect(await quarantined(sent.messageId)).toMatchObject({ reason_code: 'STATUS_CODE_UNKNOWN' });
      await statusAccepted(h41, copy, '01'); // what comes after it is relayed in order…
      await waitFor(
        () => g22.statuses.find((x) => x.documentBusId === doc.busId && x.statusCode === '01'),
        '01 at G22',
      );
      // …and the 99 before it never was.
      expect(g22.statuses.filter((x) => x.documentBusId === doc.busId).map((x) => x.statusCode)).toEqual([
        '01',
      ]);
      expect(await copyOf(doc.busId, H41)).toMatchObject({ state: 'arrived', last_status_code: '01' });
    });

    it('an unsigned status from an endpoint under the strict policy (SIG_MISSING); accepted and flagged under transition-unsigned', async () => {
      const doc = await sendDocument([H41]);
      const copy = await waitFor(() => h41.documents.find((d) => d.busId === doc.busId), 'copy at H41');
      const unsigned = (code: string) =>
        writeStatusPackage({
          from: { organId: H41 },
          responseFor: { organId: G22, documentId: copy.documentId },
          statusCode: code,
          description: `trạng thái ${code} không ký`,
          timestamp: formatEdxmlTimestamp(new Date()),
        });
      const refused = await h41.client.send(unsigned('03'), { kind: 'status', sign: false });
      expect(await h41.receiptFor(refused.messageId)).toMatchObject({
        outcome: 'rejected',
        reason: 'SIG_MISSING',
      });
      expect(await quarantined(refused.messageId)).toMatchObject({ reason_code: 'SIG_MISSING' });
      expect(await copyOf(doc.busId, H41)).toMatchObject({ last_status_code: null });

      const policy = (to: 'strict' | 'transition-unsigned') =>
        bus
          .get(ChangeSignaturePolicy)
          .execute(
            ChangeSignaturePolicyCommand.create({ code: H41, policy: to, reason: 'kiểm thử', actor: 'test' }),
          );
      await policy('transition-unsigned');
      try {
        const allowed = await h41.client.send(unsigned('01'), { kind: 'status', sign: false });
        const receipt = await h41.receiptFor(allowed.messageId);
        expect(receipt.outcome).toBe('accepted');
        expect(receipt.body.toString()).toContain('unsigned status accepted under the transition policy');
        expect(await copyOf(doc.busId, H41)).toMatchObject({ state: 'arrived', last_status_code: '01' });
      } finally {
        await policy('strict');
      }
    });

    it('a status from an endpoint that is not a recipient', async () => {
      const doc = await sendDocument([H41]);
      const sent = await h49.client.sendStatus({ documentId: doc.documentId, from: G22 }, '03');
      expect(await h49.receiptFor(sent.messageId)).toMatchObject({
        outcome: 'rejected',
        reason: 'STATUS_NOT_A_PARTY',
      });
      expect(await quarantined(sent.messageId)).toMatchObject({ reason_code: 'STATUS_NOT_A_PARTY' });
      expect(await copyOf(doc.busId, H41)).toMatchObject({ last_status_code: null });
    });

    it('a malformed status package', async () => {
      const sent = await h41.client.send('<edXML><StatusCode>01', { kind: 'status', sign: false });
      expect(await h41.receiptFor(sent.messageId)).toMatchObject({
        outcome: 'rejected',
        reason: 'XML_MALFORMED',
      });
      expect(await quarantined(sent.messageId)).toMatchObject({
        reason_code: 'XML_MALFORMED',
        message_type: 'status',
      });
    });

    it('a delivered notice for a copy this endpoint never had, or one that cannot be read', async () => {
      const doc = await sendDocument([H41]);
      const connection = await amqplib.connect(bus.endpointUrl(H49));
      try {
        const ch = await connection.createConfirmChannel();
        const notice = (messageId: string, body: string) =>
          new Promise<void>((resolve, reject) =>
            ch.publish(
              'edoc.submit',
              'delivered',
              Buffer.from(body),
              { messageId, type: 'delivered', userId: bus.brokerUser(H49) },
              (err) => (err ? reject(err as Error) : resolve()),
            ),
          );
        const notMine = randomUUID();
        await notice(notMine, JSON.stringify({ busId: doc.busId })); // H41's copy, not H49's
        const nonsense = randomUUID();
        await notice(nonsense, '{"busId": 42');
        const absent = randomUUID();
        await notice(absent, JSON.stringify({ busId: uuid7(Date.now()) }));
        expect(await h49.receiptFor(notMine)).toMatchObject({ outcome: 'rejected', reason: 'COPY_UNKNOWN' });
        expect(await h49.receiptFor(nonsense)).toMatchObject({
          outcome: 'rejected',
          reason: 'NOTICE_MALFORMED',
        });
        expect(await h49.receiptFor(absent)).toMatchObject({ outcome: 'rejected', reason: 'COPY_UNKNOWN' });
        expect(await quarantined(notMine)).toEqual({
          reason_code: 'COPY_UNKNOWN',
          message_type: 'delivered',
          authenticated_sender: H49,
        });
        expect(await copyOf(doc.busId, H49)).toBeUndefined();
        const notices = await bus.query<{ recipient: string }>(
          `SELECT recipient FROM trace_event WHERE package_id = $1 AND event = 'delivered'`,
          [doc.busId],
        );
        expect(notices.every((n) => n.recipient === H41)).toBe(true);
      } finally {
        await connection.close();
      }
    });

    it('a package claiming to be redelivered on behalf of another endpoint keeps its real sender', async () => {
      const connection = await amqplib.connect(bus.endpointUrl(H49));
      try {
        const ch = await connection.createConfirmChannel();
        const forged = documentPackage(G22, [H41]);
        const messageId = randomUUID();
        await new Promise<void>((resolve, reject) =>
          ch.publish(
            'edoc.submit',
            'edoc',
            Buffer.from(forged.xml),
            { messageId, type: 'edoc', userId: bus.brokerUser(H49), headers: { 'x-edoc-on-behalf-of': G22 } },
            (err) => (err ? reject(err as Error) : resolve()),
          ),
        );
        expect(await h49.receiptFor(messageId)).toMatchObject({
          outcome: 'rejected',
          reason: 'SENDER_MISMATCH',
        });
        expect(g22.receipts.find((r) => r.correlationId === messageId)).toBeUndefined();
      } finally {
        await connection.close();
      }
    });
  });

  it('delivers an urgent document ahead of a backlog of 1,000 ordinary ones', async () => {
    const backlog = 1000;
    const ordinary = await Promise.all(
      Array.from({ length: backlog }, () =>
        g22.client.send(documentPackage(G22, [H20], { attachmentBytes: 256 }).xml),
      ),
    );
    expect(ordinary).toHaveLength(backlog);
    await waitFor(
      async () => {
        const [row] = await bus.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM delivery WHERE recipient = $1`,
          [H20],
        );
        return row!.n === backlog || undefined;
      },
      'the backlog accepted',
      120_000,
    );
    const urgent = await sendDocument([H20], { priority: 2 }); // Thượng khẩn
    await waitFor(async () => {
      const [row] = await bus.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM outbox WHERE destination = $1`,
        [H20],
      );
      return row!.n === 0 || undefined;
    }, 'everything in the inbox queues');

    const order: string[] = [];
    const prefetch = 10;
    const h20 = await bus.inbox(H20, {
      prefetch,
      beforeStart: (inbox) => inbox.client.onDocument((d) => void order.push(d.busId)),
    });
    await waitFor(() => order.length >= 50 || undefined, 'the first 50 handed over', 60_000);
    const position = order.indexOf(urgent.busId);
    // It is in the first prefetch window, not behind 1,000 ordinary documents.
    expect(position).toBeGreaterThanOrEqual(0);
    expect(position).toBeLessThan(prefetch);
    expect(h20.client.organId).toBe(H20);
    const [lane] = await bus.query<{ priority: number }>(
      `SELECT priority FROM delivery WHERE package_id = $1`,
      [urgent.busId],
    );
    expect(lane!.priority).toBe(2);
  }, 240_000);
});
