import type { WiredCore } from './in-memory-core';
import { document, HANOI, MOF, MOJ, status } from './packages';

/**
 * Each step of a copy's life, driven through the use cases that take it (AcknowledgeDelivery,
 * SubmitPackage with statuses and change packages, FlagOverdueCopies) — over whatever keeps the
 * records: the in-memory ports (src/modules/delivery/copy-lifecycle.spec.ts) and PostgreSQL
 * (test/integration/core-use-cases-postgres.test.ts) pass the same tests, so the fakes the unit
 * tests trust keep the real repositories' rules.
 */
export function copyLifecycleContract(
  title: string,
  makeCore: () => Promise<WiredCore>,
  release?: () => Promise<void>,
) {
  describe(`the life of a copy, through the use cases (${title})`, () => {
    let core: WiredCore;
    let busId: string;
    let documentId: string;
    beforeEach(async () => {
      core = await makeCore();
      const model = document(MOF, [MOJ, HANOI]);
      documentId = model.header.documentId;
      const outcome = await core.submit.execute(core.command(MOF, core.inspection.package(model)));
      if (outcome.outcome !== 'accepted') throw new Error(`not accepted: ${JSON.stringify(outcome)}`);
      busId = outcome.busId;
    });
    if (release) afterEach(release);

    const copyOf = async (recipient = MOJ) => {
      const copy = await core.view.copy(busId, recipient);
      if (!copy) throw new Error(`no copy of ${busId} for ${recipient}`);
      return copy;
    };
    const delivered = (recipient = MOJ, id: string | null = busId) =>
      core.acknowledgeDelivery.execute({
        transport: 'amqp',
        authenticatedRecipient: recipient,
        busId: id,
        transportMessageId: null,
        body: Buffer.from(JSON.stringify({ busId: id })),
        receivedAt: core.clock.now(),
      });
    const answer = (code: string, from = MOJ) =>
      core.submit.execute(
        core.command(from, core.inspection.package(status(from, code, { organId: MOF, documentId }))),
      );
    const recall13 = (recipient = MOJ) =>
      core.submit.execute(
        core.command(MOF, core.inspection.package(status(MOF, '13', { organId: recipient, documentId }))),
      );
    const lastFlag = async () => (await core.view.lastTrace())?.flag ?? undefined;

    it('queued → delivered when the recipient takes it, traced with the states before and after', async () => {
      expect(await delivered()).toEqual({
        outcome: 'recorded',
        transition: { state: 'delivered', changeState: null },
      });
      expect(await copyOf()).toMatchObject({ state: 'delivered' });
      expect(await core.view.lastTrace()).toMatchObject({
        event: 'delivered',
        stateBefore: 'queued',
        stateAfter: 'delivered',
      });
    });

    it('refuses a delivered notice that names no bus id, or a copy the endpoint never had', async () => {
      expect(await delivered(MOJ, null)).toMatchObject({
        outcome: 'rejected',
        refusal: { code: 'NOTICE_MALFORMED' },
      });
      expect(await delivered(MOJ, 'not-a-uuid')).toMatchObject({ refusal: { code: 'NOTICE_MALFORMED' } });
      expect(await delivered('000.00.00.G01')).toMatchObject({ refusal: { code: 'COPY_UNKNOWN' } });
      expect((await core.view.quarantine()).map((q) => q.reasonCode)).toEqual([
        'NOTICE_MALFORMED',
        'NOTICE_MALFORMED',
        'COPY_UNKNOWN',
      ]);
    });

    it('01 → 03 → 04 → 05 → 06, each relayed to the sender', async () => {
      await delivered();
      const states: string[] = [];
      for (const code of ['01', '03', '04', '05', '06']) {
        expect(await answer(code)).toMatchObject({ outcome: 'accepted', kind: 'status', warnings: [] });
        states.push((await copyOf()).state);
      }
      expect(states).toEqual(['arrived', 'accepted', 'assigned', 'processing', 'completed']);
      expect(
        (await core.view.messages('status')).map((m) => [m.destination, m.headers['x-edoc-status-code']]),
      ).toEqual([
        [MOF, '01'],
        [MOF, '03'],
        [MOF, '04'],
        [MOF, '05'],
        [MOF, '06'],
      ]);
      expect((await copyOf()).lastStatusCode).toBe('06');
    });

    it('02 rejects the copy; a later 03 is kept, flagged and does not move it', async () => {
      await answer('01');
      await answer('02');
      expect((await copyOf()).state).toBe('rejected');
      expect(await answer('03')).toMatchObject({
        outcome: 'accepted',
        warnings: ['status 03 after the copy was rejected (02)'],
      });
      expect((await copyOf()).state).toBe('rejected');
    });

    it('a status that skips 01 and 03 is applied and flagged; a repeated one only flagged', async () => {
      await answer('06');
      expect((await copyOf()).state).toBe('completed');
      expect(await lastFlag()).toBe('status 06 applied before 01 (arrived) and 03 (accepted) (out of order)');
      await answer('06');
      expect(await lastFlag()).toBe('status 06 repeated');
    });

    it('13 before the copy was taken withdraws it: the sender is told and the recipient’s SDK skips it', async () => {
      expect(await recall13()).toMatchObject({ outcome: 'accepted' });
      expect(await copyOf()).toMatchObject({ state: 'queued', changeState: 'withdrawn' });
      expect((await core.view.messages('withdrawal')).map((m) => [m.destination, m.lane])).toEqual([
        [MOJ, 'urgent'],
      ]);
      expect((await core.view.messages('receipt')).at(-1)?.headers['x-edoc-receipt-outcome']).toBe(
        'withdrawn',
      );
      // Taken anyway (the notice crossed the withdrawal): the recipient has it, the recall becomes a request.
      await delivered();
      expect(await copyOf()).toMatchObject({ state: 'delivered', changeState: 'requested' });
      expect(await lastFlag()).toMatch(/taken from the inbox while a recall withdrew it/);
    });

    it('13 after the copy was taken asks the recipient, who answers 15 (agreed) or 16 (refused)', async () => {
      await delivered(MOJ);
      await delivered(HANOI);
      await recall13(MOJ);
      await recall13(HANOI);
      expect([(await copyOf(MOJ)).changeState, (await copyOf(HANOI)).changeState]).toEqual([
        'requested',
        'requested',
      ]);
      expect((await core.view.messages('status')).map((m) => m.destination)).toEqual([MOJ, HANOI]);
      await answer('15', MOJ);
      await answer('16', HANOI);
      expect([(await copyOf(MOJ)).changeState, (await copyOf(HANOI)).changeState]).toEqual([
        'agreed',
        'refused',
      ]);
      expect(await answer('15', MOJ)).toMatchObject({
        warnings: ['answer 15 without a pending recall or update request'],
      });
    });

    it('a recall package withdraws the copies still queued and asks those already taken', async () => {
      await delivered(HANOI);
      const recall = document(MOF, [MOJ, HANOI], { businessDocType: 1, original: documentId });
      const outcome = await core.submit.execute(core.command(MOF, core.inspection.package(recall)));
      expect(outcome).toMatchObject({ outcome: 'accepted' });
      expect((await copyOf(MOJ)).changeState).toBe('withdrawn');
      expect((await copyOf(HANOI)).changeState).toBe('requested');
      // The recall itself goes only to the recipient who has something to give back.
      const recallBusId = (outcome as { busId: string }).busId;
      expect(
        (await core.view.messages('edoc'))
          .filter((m) => m.messageId === recallBusId)
          .map((m) => m.destination),
      ).toEqual([HANOI]);
      expect(await core.view.copy(recallBusId, MOJ)).toBeUndefined();
      expect((await core.view.messages('withdrawal')).map((m) => m.destination)).toEqual([MOJ]);
    });

    it("a recall reaching a bridge endpoint's queued copy withdraws its pull item; nothing else is sent to it", async () => {
      const recall = document(MOF, [HANOI], { businessDocType: 1, original: documentId });
      const outcome = await core.submit.execute(core.command(MOF, core.inspection.package(recall)));
      expect(outcome).toMatchObject({ outcome: 'accepted' });
      expect((await copyOf(HANOI)).changeState).toBe('withdrawn');
      expect(await core.view.pullInbox(HANOI)).toEqual([
        { messageType: 'edoc', messageId: busId, state: 'withdrawn' },
      ]);
      expect(await core.view.messages('withdrawal')).toEqual([]);
      expect((await core.view.messages('receipt')).at(-1)?.headers['x-edoc-receipt-outcome']).toBe(
        'withdrawn',
      );
    });

    it('an update asks the recipients even before they took the copy', async () => {
      const update = document(MOF, [MOJ], { businessDocType: 2, original: documentId });
      await core.submit.execute(core.command(MOF, core.inspection.package(update)));
      expect(await copyOf(MOJ)).toMatchObject({ state: 'queued', changeState: 'requested' });
      expect(await core.view.messages('withdrawal')).toEqual([]);
    });

    it('overdue: no 01 within the arrival deadline, then no 03/02 within the decision deadline; each told once', async () => {
      await answer('01', HANOI);
      core.clock.advance(8 * 3600 + 1);
      expect(await core.flagOverdue.execute()).toEqual({ flagged: 1 });
      expect((await copyOf(MOJ)).overdue).toBe('arrival');
      expect((await copyOf(HANOI)).overdue).toBeNull();
      expect(await core.flagOverdue.execute()).toEqual({ flagged: 0 });
      core.clock.advance(3 * 86400);
      expect(await core.flagOverdue.execute()).toEqual({ flagged: 2 });
      expect([(await copyOf(MOJ)).overdue, (await copyOf(HANOI)).overdue]).toEqual(['decision', 'decision']);
      const overdue = (await core.view.messages('receipt')).filter(
        (m) => m.headers['x-edoc-receipt-outcome'] === 'overdue',
      );
      expect(overdue.map((m) => m.destination)).toEqual([MOF, MOF]);
    });

    it('a withdrawn copy is never overdue', async () => {
      await recall13(MOJ);
      core.clock.advance(4 * 86400);
      await core.flagOverdue.execute();
      expect((await copyOf(MOJ)).overdue).toBeNull();
    });

    it('the sender’s trace shows each copy where it stands and how it got there; nobody else sees it', async () => {
      await delivered();
      await answer('01');
      const trace = await core.trace.execute({ requester: MOF, busId });
      expect(trace?.copies.map((c) => [c.recipient, c.state])).toEqual([
        [MOJ, 'arrived'],
        [HANOI, 'queued'],
      ]);
      expect(trace?.copies[0]?.history.map((h) => h.event)).toEqual(['queued', 'delivered', 'status']);
      expect(await core.trace.execute({ requester: MOJ, busId })).toBeNull();
    });
  });
}
