import { refusal } from '../../src/modules/shared/reasons';
import type { WiredCore } from './in-memory-core';
import { CLOSED, document, HANOI, LOCKED, MOF, MOJ, status } from './packages';

/**
 * SubmitPackage's rules: every refusal routing decides, and what an accepted document leaves
 * behind — over the in-memory ports (submit-package.use-case.spec.ts) and over PostgreSQL
 * (test/integration/core-use-cases-postgres.test.ts).
 */
export function routingRulesContract(
  title: string,
  makeCore: () => Promise<WiredCore>,
  release?: () => Promise<void>,
) {
  describe(`SubmitPackage: routing rules (${title})`, () => {
    let core: WiredCore;
    beforeEach(async () => {
      core = await makeCore();
    });
    if (release) afterEach(release);

    const send = (sender: string | null, body: Buffer, extra = {}) =>
      core.submit.execute(core.command(sender, body, extra));
    const refusedWith = (code: string): unknown =>
      expect.objectContaining({ outcome: 'rejected', refusal: expect.objectContaining({ code }) });

    it('accepts a document: one copy per recipient, the trace, a receipt and an outbox row per copy, then dispatches them', async () => {
      const outcome = await send(MOF, core.inspection.package(document(MOF, [MOJ, HANOI])));
      expect(outcome).toMatchObject({ outcome: 'accepted', kind: 'edoc' });
      if (outcome.outcome !== 'accepted') return;
      expect(outcome.recipients.map((r) => [r.addressedTo, r.outcome])).toEqual([
        [MOJ, 'queued'],
        [HANOI, 'queued'],
      ]);
      expect((await core.view.copy(outcome.busId, MOJ))?.state).toBe('queued');
      expect((await core.view.copy(outcome.busId, HANOI))?.state).toBe('queued');
      expect((await core.view.messages('edoc')).map((m) => m.destination)).toEqual([MOJ, HANOI]);
      expect(
        (await core.view.messages('receipt')).map((m) => [
          m.destination,
          m.headers['x-edoc-receipt-outcome'],
        ]),
      ).toEqual([[MOF, 'accepted']]);
      expect(await core.view.traceEvents()).toEqual(['accepted', 'queued', 'queued']);
      // The channel is decided at commit: the bridge endpoint's copy is in its pull inbox already;
      // the broker's copy and receipt are dispatched only after the store call, with bodies (the
      // fast path needs no read-back).
      expect(await core.view.pullInbox(HANOI)).toEqual([
        { messageType: 'edoc', messageId: outcome.busId, state: 'pending' },
      ]);
      expect(core.outbox.dispatched.map((m) => [m.record.destination, m.record.messageType])).toEqual([
        [MOJ, 'edoc'],
        [MOF, 'receipt'],
      ]);
      expect(core.outbox.dispatched.every((m) => m.body && m.record.channel === 'broker')).toBe(true);
    });

    it('puts the receipt of a bridge endpoint in its pull inbox, not on the broker', async () => {
      const outcome = await send(HANOI, core.inspection.package(document(HANOI, [MOJ])));
      expect(outcome).toMatchObject({ outcome: 'accepted' });
      expect((await core.view.pullInbox(HANOI)).map((i) => [i.messageType, i.state])).toEqual([
        ['receipt', 'pending'],
      ]);
      expect(core.outbox.dispatched.map((m) => m.record.destination)).toEqual([MOJ]);
    });

    it('sends an urgent document (priority ≥ 1) and its receipt in the urgent lane', async () => {
      await send(MOF, core.inspection.package(document(MOF, [MOJ], { priority: 2 })));
      expect((await core.view.messages()).map((m) => m.lane)).toEqual(['urgent', 'urgent']);
    });

    describe('the sender', () => {
      it('SENDER_UNAUTHENTICATED: no authenticated connection; kept in quarantine, nobody to tell', async () => {
        expect(await send(null, core.inspection.package(document(MOF, [MOJ])))).toEqual(
          refusedWith('SENDER_UNAUTHENTICATED'),
        );
        expect(await core.view.quarantine()).toHaveLength(1);
        expect(await core.view.receiptCount()).toBe(0);
      });

      it('SENDER_NOT_REGISTERED: an unknown or a closed endpoint', async () => {
        expect(
          await send('000.00.00.G20', core.inspection.package(document('000.00.00.G20', [MOJ]))),
        ).toEqual(refusedWith('SENDER_NOT_REGISTERED'));
        expect(await send(CLOSED, core.inspection.package(document(CLOSED, [MOJ])))).toEqual(
          refusedWith('SENDER_NOT_REGISTERED'),
        );
      });

      it('SENDER_LOCKED: the operator locked it, with the reason; it gets a rejection receipt', async () => {
        const outcome = await send(LOCKED, core.inspection.package(document(LOCKED, [MOJ])));
        expect(outcome).toEqual(refusedWith('SENDER_LOCKED'));
        expect(outcome.outcome === 'rejected' && outcome.refusal.details).toEqual([
          'certificate compromised',
        ]);
        expect(
          (await core.view.messages('receipt')).map((m) => [m.destination, m.headers['x-edoc-reason']]),
        ).toEqual([[LOCKED, 'SENDER_LOCKED']]);
      });

      it('SENDER_MISMATCH: From/OrganId is not the authenticated connection', async () => {
        expect(await send(MOJ, core.inspection.package(document(MOF, [HANOI])))).toEqual(
          refusedWith('SENDER_MISMATCH'),
        );
        expect((await core.view.quarantine())[0]).toMatchObject({
          authenticatedSender: MOJ,
          claimedSender: MOF,
        });
      });

      it('CERT_ORG_MISMATCH: the signing certificate belongs to another organ', async () => {
        const body = core.inspection.package(document(MOF, [MOJ]), MOJ);
        expect(await send(MOF, body)).toEqual(refusedWith('CERT_ORG_MISMATCH'));
      });

      it('SIG_MISSING under the strict policy; accepted and flagged under transition-unsigned', async () => {
        expect(await send(MOF, core.inspection.package(document(MOF, [MOJ]), null))).toEqual(
          refusedWith('SIG_MISSING'),
        );
        core.registry.endpoints.get(MOF)!.signaturePolicy = 'transition-unsigned';
        core.directory.invalidate();
        expect(await send(MOF, core.inspection.package(document(MOF, [MOJ]), null))).toMatchObject({
          outcome: 'accepted',
        });
      });

      it('CERT_REVOKED and REVOCATION_UNKNOWN: the signer certificate is revoked, or nobody can say', async () => {
        core.revocation.verdicts.set(`CN=${MOF}`, 'revoked');
        expect(await send(MOF, core.inspection.package(document(MOF, [MOJ])))).toEqual(
          refusedWith('CERT_REVOKED'),
        );
        core.revocation.verdicts.set(`CN=${MOF}`, 'unknown');
        expect(await send(MOF, core.inspection.package(document(MOF, [MOJ])))).toEqual(
          refusedWith('REVOCATION_UNKNOWN'),
        );
      });

      it('an inspection refusal (malformed, schema) comes back as it is, with a receipt to the sender', async () => {
        const body = core.inspection.refused(refusal('XML_MALFORMED', 'unclosed tag at line 3'));
        expect(await send(MOF, body)).toEqual(refusedWith('XML_MALFORMED'));
        expect(await core.view.messages('receipt')).toHaveLength(1);
      });
    });

    describe('the recipients', () => {
      it('UNKNOWN_RECIPIENT and RECIPIENT_LOCKED when every recipient is refused for that one reason', async () => {
        expect(await send(MOF, core.inspection.package(document(MOF, ['000.00.00.G20'])))).toEqual(
          refusedWith('UNKNOWN_RECIPIENT'),
        );
        expect(await send(MOF, core.inspection.package(document(MOF, [LOCKED])))).toEqual(
          refusedWith('RECIPIENT_LOCKED'),
        );
      });

      it('NO_VALID_RECIPIENT when each recipient is refused for a different reason', async () => {
        expect(await send(MOF, core.inspection.package(document(MOF, ['000.00.00.G20', LOCKED])))).toEqual(
          refusedWith('NO_VALID_RECIPIENT'),
        );
      });

      it('routes to the valid recipients and names the refused ones in the receipt', async () => {
        const outcome = await send(MOF, core.inspection.package(document(MOF, [MOJ, LOCKED])));
        expect(outcome.outcome === 'accepted' && outcome.recipients).toEqual([
          { addressedTo: MOJ, outcome: 'queued', routedTo: MOJ },
          { addressedTo: LOCKED, outcome: 'refused', reason: 'RECIPIENT_LOCKED' },
        ]);
        expect((await core.view.messages('edoc')).map((m) => m.destination)).toEqual([MOJ]);
      });
    });

    describe('the same package twice', () => {
      it('a resend gets the original bus id and a duplicate receipt, and nothing is delivered twice', async () => {
        const body = core.inspection.package(document(MOF, [MOJ]));
        const original = await send(MOF, body);
        const resent = await send(MOF, body);
        expect(original.outcome).toBe('accepted');
        expect(resent).toMatchObject({
          outcome: 'duplicate',
          kind: 'edoc',
          busId: (original as { busId: string }).busId,
        });
        expect(await core.view.messages('edoc')).toHaveLength(1);
        expect((await core.view.messages('receipt')).map((m) => m.headers['x-edoc-receipt-outcome'])).toEqual(
          ['accepted', 'duplicate'],
        );
        expect((await core.view.traceEvents()).filter((e) => e === 'duplicate')).toHaveLength(1);
      });

      it('DUPLICATE_CONFLICT: the same DocumentId and business type with other content', async () => {
        await send(MOF, core.inspection.package(document(MOF, [MOJ], { documentId: 'D-1' })));
        expect(
          await send(MOF, core.inspection.package(document(MOF, [HANOI], { documentId: 'D-1' }))),
        ).toEqual(refusedWith('DUPLICATE_CONFLICT'));
      });

      it('a redelivered transport message already handled is replayed, not processed again', async () => {
        const body = core.inspection.package(document(MOF, [MOJ]));
        const first = await send(MOF, body, { transportMessageId: 'm-1' });
        const replay = await send(MOF, body, { transportMessageId: 'm-1', possiblyRedelivered: true });
        expect(replay).toEqual({ outcome: 'replayed', busId: (first as { busId: string }).busId });
        expect(await core.view.receiptCount()).toBe(1);
      });
    });

    describe('recalls, updates and replacements', () => {
      it('ORIGINAL_NOT_FOUND: the sender has no such document', async () => {
        const recall = document(MOF, [MOJ], { businessDocType: 1, original: 'no-such' });
        expect(await send(MOF, core.inspection.package(recall))).toEqual(refusedWith('ORIGINAL_NOT_FOUND'));
      });

      it('NOT_A_RECIPIENT_OF_ORIGINAL: a change may only go to those who had the original', async () => {
        await send(MOF, core.inspection.package(document(MOF, [MOJ], { documentId: 'D-2' })));
        const update = document(MOF, [HANOI], { businessDocType: 2, original: 'D-2' });
        expect(await send(MOF, core.inspection.package(update))).toEqual(
          refusedWith('NOT_A_RECIPIENT_OF_ORIGINAL'),
        );
      });
    });

    describe('statuses', () => {
      it('STATUS_CODE_UNKNOWN is never relayed', async () => {
        expect(
          await send(MOJ, core.inspection.package(status(MOJ, '99', { organId: MOF, documentId: 'D' }))),
        ).toEqual(refusedWith('STATUS_CODE_UNKNOWN'));
      });

      it('EDXML_INVALID when ResponseFor/OrganId is missing or not an organ code', async () => {
        expect(
          await send(MOJ, core.inspection.package(status(MOJ, '01', { organId: ' ', documentId: 'D' }))),
        ).toEqual(refusedWith('EDXML_INVALID'));
      });

      it('STATUS_UNKNOWN_DOCUMENT and STATUS_NOT_A_PARTY', async () => {
        expect(
          await send(MOJ, core.inspection.package(status(MOJ, '01', { organId: MOF, documentId: 'D-3' }))),
        ).toEqual(refusedWith('STATUS_UNKNOWN_DOCUMENT'));
        await send(MOF, core.inspection.package(document(MOF, [MOJ], { documentId: 'D-3' })));
        expect(
          await send(
            HANOI,
            core.inspection.package(status(HANOI, '01', { organId: MOF, documentId: 'D-3' })),
          ),
        ).toEqual(refusedWith('STATUS_NOT_A_PARTY'));
      });
    });
  });
}
