import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  formatEdxmlTimestamp,
  writeStatusPackage,
} from '../../src/modules/edoc/writing/write-status-package';
import { SigningPool } from '../../src/adapters/workers/signing-pool';
import { AxisClient } from '../../src/adapters/http/axis/client/axis-client';
import {
  ChangeEndpointStatus,
  ChangeEndpointStatusCommand,
} from '../../src/modules/registry/use-cases/change-endpoint-status.use-case';
import { cliEnv, runCli } from '../support/cli';
import { waitFor } from '../support/infrastructure';
import { documentPackage } from '../support/packages';
import { TestBus, type Inbox } from '../support/test-bus';

const G22 = '000.00.00.G22'; // Văn phòng Chính phủ, on AMQP
const H41 = '000.00.00.H41'; // Nghệ An, on the axis-SDK bridge
const H49 = '000.00.00.H49'; // Quảng Ninh, on AMQP
const H14 = '000.00.00.H14'; // Cao Bằng, on the bridge: the other poller's neighbour

interface Received {
  docId: string;
  from: string;
  messageType: string;
  documentId: string | null;
  statusCode: string | null;
  receiptOutcome: string | null;
}

/**
 * The national axis API, served by edoc-bus over real HTTP to a client that signs its headers
 * exactly as the axis SDK does, with a ministry on AMQP on the other side.
 */
describe('the axis-SDK HTTP bridge (vdxp-http)', () => {
  let bus: TestBus;
  let g22: Inbox, h49: Inbox;
  let h41: AxisClient, h14: AxisClient;
  let secret41 = '';

  beforeAll(async () => {
    bus = await TestBus.start({ inboxDeliveryLimit: 3 });
    await bus.seed();
    [g22, h49] = (await Promise.all([G22, H49].map((o) => bus.inbox(o)))) as [Inbox, Inbox];
    const c41 = await bus.provisionBridge(H41);
    const c14 = await bus.provisionBridge(H14);
    h41 = new AxisClient(bus.httpBase(), c41.systemId, c41.secret);
    secret41 = c41.secret;
    h14 = new AxisClient(bus.httpBase(), c14.systemId, c14.secret);
  });
  afterAll(() => bus?.close());

  const signedBy = async (organId: string, xml: string) =>
    SigningPool.instance.sign(xml, await bus.trust.signing(organId));

  const listed = async (client: AxisClient, messagetype = 'edoc', extra: Record<string, string> = {}) => {
    const r = await client.call<Received[]>('getReceivedEdocList', {
      servicetype: 'eDoc',
      messagetype,
      ...extra,
    });
    expect(r).toMatchObject({ status: 'OK', ErrorCode: '0' });
    return r.data;
  };

  const refusals = () =>
    bus.query<{ code: string; operation: string }>(`SELECT code, operation FROM bridge_refusal ORDER BY id`);

  it('receives a ministry document: listed once per poller, fetched (delivered), acknowledged (gone)', async () => {
    const pkg = documentPackage(G22, [H41, H49]);
    const sent = await g22.client.send(pkg.xml);
    const receipt = await g22.receiptFor(sent.messageId);
    expect(receipt.outcome).toBe('accepted');
    const busId = receipt.busId!;

    const first = await waitFor(async () => {
      const items = await listed(h41, 'edoc', { pollerid: 'dms-1' });
      return items.length > 0 ? items : undefined;
    }, 'the document listed for H41');
    expect(first).toMatchObject([
      { docId: busId, from: G22, messageType: 'edoc', documentId: pkg.documentId },
    ]);
    expect(await listed(h41, 'edoc', { pollerid: 'dms-2' })).toEqual([]); // reserved for dms-1
    expect(await listed(h41, 'edoc', { pollerid: 'dms-1' })).toHaveLength(1); // still dms-1's
    // The SDK's counters see it (reserved or not) and reserve nothing.
    expect(await h41.call('countReceiveEdoc')).toMatchObject({ ErrorCode: '0', data: 1 });
    expect(await h41.call('countReceiveStatus')).toMatchObject({ ErrorCode: '0', data: 0 });
    expect(await h14.call('countReceiveEdoc')).toMatchObject({ ErrorCode: '0', data: 0 });
    const downloaded = await h41.download(busId);
    expect(Buffer.isBuffer(downloaded) && downloaded.toString()).toContain(pkg.documentId);
    expect(await h14.download(busId)).toMatchObject({ ErrorCode: '21' }); // not H14's

    const fetched = await h41.call<string>('getEdoc', { docid: busId });
    expect(fetched.status).toBe('OK');
    const bytes = Buffer.from(fetched.data, 'base64');
    const atH49 = await waitFor(() => h49.documents.find((d) => d.busId === busId), 'the AMQP copy');
    expect(bytes.equals(atH49.body)).toBe(true); // the same signed package, whatever the transport
    const [copy] = await bus.query<{ state: string }>(
      `SELECT state FROM delivery WHERE package_id = $1 AND recipient = $2`,
      [busId, H41],
    );
    expect(copy!.state).toBe('delivered');

    expect(await h41.call('updateStatus', { docid: busId, status: 'done' })).toMatchObject({ status: 'OK' });
    expect(await listed(h41, 'edoc', { pollerid: 'dms-1' })).toEqual([]);
    expect((await h41.call('getEdoc', { docid: busId })).ErrorCode).toBe('21'); // acknowledged: no longer waiting
  });

  it('sends a status and a document back to the ministry, sees its receipts and tracks its copies', async () => {
    const pkg = documentPackage(G22, [H41]);
    const sent = await g22.client.send(pkg.xml);
    const busId = (await g22.receiptFor(sent.messageId)).busId!;
    await waitFor(async () => (await listed(h41)).find((i) => i.docId === busId), 'listed');
    await h41.call('getEdoc', { docid: busId });

    const status = await signedBy(
      H41,
      writeStatusPackage({
        from: { organId: H41, organName: 'UBND tỉnh Nghệ An' },
        responseFor: { organId: G22, documentId: pkg.documentId },
        statusCode: '03',
        description: 'Đã tiếp nhận',
        timestamp: formatEdxmlTimestamp(new Date()),
      }),
    );
    const s = await h41.sendEdoc(status, { messagetype: 'status' });
    expect(s).toMatchObject({ status: 'OK', ErrorCode: '0' });
    const relayed = await waitFor(
      () => g22.statuses.find((x) => x.documentBusId === busId && x.statusCode === '03'),
      '03 at G22 over AMQP',
    );
    expect(relayed.from).toBe(H41);

    const reply = documentPackage(H41, [G22]);
    const r = await h41.sendEdoc(await signedBy(H41, reply.xml));
    expect(r).toMatchObject({ status: 'OK', ErrorCode: '0' });
    const replyId = (r.data as { DocId: string }).DocId;
    const atG22 = await waitFor(() => g22.documents.find((d) => d.busId === replyId), 'the reply at G22');
    expect(atG22.from).toBe(H41);
    const receipts = await waitFor(async () => {
      const items = await listed(h41, 'receipt');
      return items.find((i) => i.docId && i.receiptOutcome === 'accepted') ? items : undefined;
    }, 'H41 receipt listed');
    expect(receipts.some((i) => i.receiptOutcome === 'accepted')).toBe(true);

    await g22.client.sendStatus({ documentId: reply.documentId, from: H41 }, '01');
    const statuses = await waitFor(async () => {
      const items = await listed(h41, 'status');
      return items.find((i) => i.statusCode === '01' && i.from === G22) ? items : undefined;
    }, '01 from G22 listed for H41');
    expect(statuses.find((i) => i.statusCode === '01')!.documentId).toBe(reply.documentId);

    const tracked = await h41.call<Array<Record<string, unknown>>>('getSentEdocList', {});
    expect(tracked.data.find((l) => l.senderDocId === replyId)).toMatchObject({
      fromCode: H41,
      toCode: G22,
      receiveStatus: 'arrived',
      documentId: reply.documentId,
    });
  });

  it('hands over a package of several megabytes intact, streamed in pieces', async () => {
    const pkg = documentPackage(G22, [H41], { attachmentBytes: 6 * 1024 * 1024 });
    const sent = await g22.client.send(pkg.xml);
    const busId = (await g22.receiptFor(sent.messageId, 30_000)).busId!;
    await waitFor(
      async () => (await listed(h41, 'edoc', { pollerid: 'big' })).find((i) => i.docId === busId),
      'listed',
    );
    const fetched = await h41.call<string>('getEdoc', { docid: busId });
    const bytes = Buffer.from(fetched.data, 'base64');
    expect(bytes.length).toBeGreaterThan(8 * 1024 * 1024); // three pieces or more
    expect(bytes.equals(sent.bytes)).toBe(true);
  });

  it.each(['sdk', 'multipart'] as const)(
    'takes an upload of several megabytes (spooled to a file) in the %s form to a ministry and a province, intact',
    async (format) => {
      const pkg = documentPackage(H41, [G22, H14], { attachmentBytes: 5 * 1024 * 1024 });
      const signed = await signedBy(H41, pkg.xml);
      const r = await h41.sendEdoc(signed, { format });
      expect(r).toMatchObject({ status: 'OK', ErrorCode: '0' });
      const busId = (r.data as { DocId: string }).DocId;
      const atG22 = await waitFor(() => g22.documents.find((d) => d.busId === busId), 'at G22');
      expect(Buffer.from(atG22.body).equals(Buffer.from(signed))).toBe(true);
      await waitFor(
        async () => (await listed(h14, 'edoc', { pollerid: 'big' })).find((i) => i.docId === busId),
        'at H14',
      );
      const atH14 = Buffer.from((await h14.call<string>('getEdoc', { docid: busId })).data, 'base64');
      expect(atH14.equals(Buffer.from(signed))).toBe(true);
      expect(readdirSync(join(bus.config.bridge.spoolDirectory, String(process.pid)))).toEqual([]);
    },
  );

  /** A signed package whose SHA-256 has a byte below 0x10: the SDK's hash-file then drops a zero. */
  const packageWithShortHash = async (to: string[]) => {
    for (;;) {
      const signed = Buffer.from(await signedBy(H41, documentPackage(H41, to).xml));
      const digest = createHash('sha256').update(signed).digest();
      if (digest.some((b) => b < 0x10)) return { signed, digest };
    }
  };

  it('takes the axis SDK 2.0.1’s own upload: the file then CRLF as octet-stream, hash-file without zero padding', async () => {
    const { signed, digest } = await packageWithShortHash([G22]);
    // What SDKVXP 2.0.1 puts on the wire, byte for byte (the client's default form).
    const r = await h41.sendEdoc(signed);
    const sentHash = h41.lastHeaders['XroadVnpt-hash-file']!;
    expect(sentHash.length).toBeLessThan(64);
    expect(sentHash).toBe([...digest].map((b) => b.toString(16)).join(''));
    expect(r).toMatchObject({ status: 'OK', ErrorCode: '0' });
    const busId = (r.data as { DocId: string }).DocId;
    // The CRLF the SDK writes after the file is not the package's: stored and delivered without it.
    const atG22 = await waitFor(() => g22.documents.find((d) => d.busId === busId), 'at G22');
    expect(Buffer.from(atG22.body).equals(signed)).toBe(true);
    const [stored] = await bus.query<{ sha256: string }>(
      `SELECT encode(sha256, 'hex') AS sha256 FROM package WHERE id = $1`,
      [busId],
    );
    expect(stored!.sha256).toBe(digest.toString('hex'));

    // A file that ends with its own CRLF keeps it: the signed hash says which CRLF is the file's.
    const withNewline = Buffer.concat([
      Buffer.from(await signedBy(H41, documentPackage(H41, [G22]).xml)),
      Buffer.from('\r\n'),
    ]);
    const r2 = await h41.sendEdoc(withNewline);
    expect(r2).toMatchObject({ status: 'OK', ErrorCode: '0' });
    const busId2 = (r2.data as { DocId: string }).DocId;
    const atG22b = await waitFor(() => g22.documents.find((d) => d.busId === busId2), 'second at G22');
    expect(Buffer.from(atG22b.body).equals(withNewline)).toBe(true);

    // The SDK's spelling is compared whole, never as a prefix of the digest.
    const { signed: other } = await packageWithShortHash([G22]);
    const otherHash = createHash('sha256').update(other).digest();
    const spelled = [...otherHash].map((b) => b.toString(16)).join('');
    const headers = h41.signedHeaders({
      from: H41,
      servicetype: 'eDoc',
      messagetype: 'edoc',
      'hash-file': spelled.slice(0, -1),
    });
    const refused = await h41.post(
      'sendEdoc',
      { ...headers, 'Content-Type': 'application/octet-stream' },
      Buffer.concat([other, Buffer.from('\r\n')]),
    );
    expect(refused).toMatchObject({ status: 'FAIL', ErrorCode: '10' });
    expect(refused.ErrorDesc).toMatch(
      /^BAD_REQUEST: the uploaded file is not the one whose hash-file was signed/,
    );
  });

  it('refuses a plain XroadVnpt-* header that is not what was signed (15), and starts every ErrorDesc with a reason code', async () => {
    const before = (await refusals()).length;
    const headers = h41.signedHeaders({ servicetype: 'eDoc', messagetype: 'edoc' });
    const contradicted = await h41.post('getReceivedEdocList', {
      ...headers,
      'XroadVnpt-messagetype': 'status',
    });
    expect(contradicted).toMatchObject({ status: 'FAIL', ErrorCode: '15' });
    expect(contradicted.ErrorDesc).toMatch(/^BAD_CREDENTIALS: the XroadVnpt-messagetype header/);
    // A parameter sent only in plain, outside the signed JSON, is refused the same way.
    const unsigned = await h41.post('getReceivedEdocList', {
      ...h41.signedHeaders({ servicetype: 'eDoc', messagetype: 'edoc' }),
      'XroadVnpt-pollerid': 'someone-else',
    });
    expect(unsigned).toMatchObject({ ErrorCode: '15' });
    expect(unsigned.ErrorDesc).toMatch(/^BAD_CREDENTIALS: the XroadVnpt-pollerid header/);

    // Unknown system: 15, like a wrong secret (which systems exist is not told to strangers).
    const stranger = new AxisClient(bus.httpBase(), '000.00.00.Z99', 'whatever');
    const unknown = await stranger.call('getAgenciesList');
    expect(unknown).toMatchObject({ ErrorCode: '15' });
    expect(unknown.ErrorDesc).toMatch(/^BAD_CREDENTIALS: /);
    // A bad file: 10, with its reason code first.
    const noFile = await h41.post('sendEdoc', {
      ...h41.signedHeaders({ from: H41, servicetype: 'eDoc', messagetype: 'edoc' }),
      'Content-Type': 'application/octet-stream',
    });
    expect(noFile).toMatchObject({ ErrorCode: '10' });
    expect(noFile.ErrorDesc).toMatch(/^BAD_REQUEST: /);
    const recorded = (await refusals()).slice(before).map((r) => `${r.operation}:${r.code}`);
    expect(recorded).toEqual([
      'getReceivedEdocList:BAD_CREDENTIALS',
      'getReceivedEdocList:BAD_CREDENTIALS',
      'getAgenciesList:BAD_CREDENTIALS',
      'send:BAD_REQUEST',
    ]);
  });

  it('answers 19 to an authenticated system whose endpoint may not send (locked), with the reason code first', async () => {
    const H56 = '000.00.00.H56';
    const c56 = await bus.provisionBridge(H56);
    const h56 = new AxisClient(bus.httpBase(), c56.systemId, c56.secret);
    await bus
      .get(ChangeEndpointStatus)
      .execute(
        ChangeEndpointStatusCommand.create({ code: H56, action: 'lock', reason: 'kiểm thử', actor: 'test' }),
      );
    const pkg = documentPackage(H56, [G22]);
    const r = await h56.sendEdoc(await signedBy(H56, pkg.xml));
    expect(r).toMatchObject({ status: 'FAIL', ErrorCode: '19' });
    expect(r.ErrorDesc).toMatch(/^SENDER_LOCKED: /);
  });

  it('serves the directory in both code forms', async () => {
    const q = await h41.call<Array<{ code: string; code102: string; name: string }>>('getAgenciesList');
    const qd20 = await h41.call<Array<{ code: string; code102: string }>>('getAgenciesListQD20');
    expect(q.data.length).toBeGreaterThanOrEqual(95);
    expect(q.data.find((a) => a.code102 === H41)).toMatchObject({ code: H41 });
    expect(qd20.data.find((a) => a.code102 === H41)).toMatchObject({ code: 'H41' });
  });

  it('refuses a package that is not valid edXML with code 22 and quarantines it', async () => {
    const r = await h41.sendEdoc('<edXML><broken>');
    expect(r).toMatchObject({ status: 'FAIL', ErrorCode: '22' });
    expect(r.ErrorDesc).toMatch(/^XML_MALFORMED/);
    const [q] = await bus.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM quarantine WHERE authenticated_sender = $1 AND transport = 'vdxp-http' AND reason_code = 'XML_MALFORMED'`,
      [H41],
    );
    expect(q!.n).toBeGreaterThanOrEqual(1);
  });

  it("refuses wrong secrets, stale timestamps, replays, a foreign from and another endpoint's items — recorded, nothing changed", async () => {
    const before = (await refusals()).length;
    const forged = new AxisClient(bus.httpBase(), H41, 'not-the-secret');
    const wrongSecret = await forged.call('getReceivedEdocList', { messagetype: 'edoc' });
    expect(wrongSecret).toMatchObject({ ErrorCode: '15' });
    expect(wrongSecret.ErrorDesc).toMatch(/^BAD_CREDENTIALS: /);

    const stale = new AxisClient(bus.httpBase(), H41, secret41);
    stale.now = () => new Date(Date.now() - 10 * 60_000);
    expect(await stale.call('getReceivedEdocList', { messagetype: 'edoc' })).toMatchObject({
      ErrorCode: '15',
    });

    const okCall = await h41.call('getAgenciesList');
    expect(okCall.status).toBe('OK');
    expect(await h41.post('getAgenciesList', h41.lastHeaders)).toMatchObject({ ErrorCode: '15' });

    const pkg = documentPackage(H41, [G22]);
    expect(await h41.sendEdoc(await signedBy(H41, pkg.xml), { from: H14 })).toMatchObject({
      ErrorCode: '15',
    });
    const wrongFile = await h41.sendEdoc(await signedBy(H41, pkg.xml), { hashOf: 'something else' });
    expect(wrongFile).toMatchObject({ ErrorCode: '10' });
    expect(wrongFile.ErrorDesc).toMatch(/^BAD_REQUEST: /);
    const [none] = await bus.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM package WHERE document_id = $1`,
      [pkg.documentId],
    );
    expect(none!.n).toBe(0);

    // A document for H14 only: H41 cannot see, fetch or settle it.
    const other = documentPackage(G22, [H14]);
    const otherId = (await g22.receiptFor((await g22.client.send(other.xml)).messageId)).busId!;
    await waitFor(
      async () => (await listed(h14, 'edoc', { pollerid: 'p14' })).find((i) => i.docId === otherId),
      'at H14',
    );
    expect((await listed(h41)).map((i) => i.docId)).not.toContain(otherId);
    expect(await h41.call('getEdoc', { docid: otherId })).toMatchObject({ ErrorCode: '21' });
    expect(await h41.call('updateStatus', { docid: otherId, status: 'done' })).toMatchObject({
      ErrorCode: '21',
    });
    const [copy] = await bus.query<{ state: string }>(
      `SELECT state FROM delivery WHERE package_id = $1 AND recipient = $2`,
      [otherId, H14],
    );
    expect(copy!.state).toBe('queued');
    expect((await listed(h14, 'edoc', { pollerid: 'p14' })).map((i) => i.docId)).toContain(otherId);

    const recorded = (await refusals()).slice(before).map((r) => `${r.operation}:${r.code}`);
    expect(recorded).toEqual([
      'getReceivedEdocList:BAD_CREDENTIALS',
      'getReceivedEdocList:STALE_TIMESTAMP',
      'getAgenciesList:REPLAYED',
      'send:FROM_MISMATCH',
      'send:BAD_REQUEST',
      'fetch:NOT_FOUND',
      'settle:done:NOT_FOUND',
    ]);
  });

  it('makes a failed item available again, and dead-letters it at the limit for an operator to redeliver', async () => {
    const pkg = documentPackage(G22, [H14]);
    const busId = (await g22.receiptFor((await g22.client.send(pkg.xml)).messageId)).busId!;
    await waitFor(
      async () => (await listed(h14, 'edoc', { pollerid: 'p14' })).find((i) => i.docId === busId),
      'listed',
    );
    for (let i = 1; i <= 3; i++) {
      const r = await h14.call<{ state: string; failCount: number }>('updateStatus', {
        docid: busId,
        status: 'fail',
      });
      expect(r.data).toMatchObject({ failCount: i, state: i < 3 ? 'pending' : 'dead' });
      if (i < 3)
        expect((await listed(h14, 'edoc', { pollerid: `other-${i}` })).map((x) => x.docId)).toContain(busId);
    }
    expect((await listed(h14, 'edoc', { pollerid: 'p14' })).map((x) => x.docId)).not.toContain(busId);

    const dlq = await runCli(['dlq', 'list', '--queue', `pull.${H14}`, '--json'], cliEnv(bus));
    const [letter] = JSON.parse(dlq.stdout) as Array<{ id: string; reason: string }>;
    expect(letter!.reason).toMatch(/failure 3 times/);
    const redo = await runCli(['dlq', 'redeliver', letter!.id, '--reason', 'DMS fixed'], cliEnv(bus));
    expect(redo).toMatchObject({ status: 0 });
    expect((await listed(h14, 'edoc', { pollerid: 'p14' })).map((x) => x.docId)).toContain(busId);
  });
});
