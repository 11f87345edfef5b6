import amqplib from 'amqplib';
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { SigningPool } from '../../src/adapters/workers/signing-pool';
import { waitFor } from '../support/infrastructure';
import { documentPackage } from '../support/packages';
import { TestBus, type Inbox } from '../support/test-bus';

const G22 = '000.00.00.G22'; // on AMQP
const H20 = '000.00.00.H20'; // Đồng Tháp, on the REST bridge
const H41 = '000.00.00.H41'; // another REST endpoint

interface Item {
  docId: string;
  messageType: string;
  from: string | null;
  receiptOutcome: string | null;
}

/** The REST bridge over real HTTP: bearer tokens, raw XML packages, a pull inbox, traces, OpenAPI. */
describe('the REST bridge (/api/v1)', () => {
  let bus: TestBus;
  let g22: Inbox;
  let token20 = '';
  let token41 = '';

  beforeAll(async () => {
    bus = await TestBus.start();
    await bus.seed();
    g22 = await bus.inbox(G22);
    token20 = (await bus.provisionBridge(H20)).token;
    token41 = (await bus.provisionBridge(H41)).token;
  });
  afterAll(() => bus?.close());

  const api = (path: string, token: string | null, init: RequestInit = {}) =>
    fetch(`${bus.httpBase()}/api/v1${path}`, {
      ...init,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.headers ?? {}) },
    });
  const inbox = async (token: string, query = '') => {
    const r = await api(`/inbox${query}`, token);
    expect(r.status).toBe(200);
    return ((await r.json()) as { items: Item[] }).items;
  };

  it('sends a signed package, gets 202 with the bus id, and finds the accepted receipt in its inbox', async () => {
    const pkg = documentPackage(H20, [G22]);
    const signed = await SigningPool.instance.sign(pkg.xml, await bus.trust.signing(H20));
    const r = await api('/documents', token20, {
      method: 'POST',
      body: signed,
      headers: { 'content-type': 'application/xml' },
    });
    expect(r.status).toBe(202);
    const accepted = (await r.json()) as { busId: string; outcome: string };
    expect(accepted.outcome).toBe('accepted');
    const atG22 = await waitFor(() => g22.documents.find((d) => d.busId === accepted.busId), 'at G22');
    expect(atG22.from).toBe(H20);
    const items = await waitFor(async () => {
      const list = await inbox(token20, '?types=receipt');
      return list.length > 0 ? list : undefined;
    }, 'receipt listed');
    expect(items[0]).toMatchObject({ messageType: 'receipt', receiptOutcome: 'accepted' });

    const again = await api('/documents', token20, { method: 'POST', body: signed });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ outcome: 'duplicate', busId: accepted.busId });

    const trace = await api(`/documents/${accepted.busId}/trace`, token20);
    expect(trace.status).toBe(200);
    expect(await trace.json()).toMatchObject({ busId: accepted.busId, copies: [{ recipient: G22 }] });
    expect((await api(`/documents/${accepted.busId}/trace`, token41)).status).toBe(404); // not H41's
  });

  it('takes a package of several megabytes, with or without a Content-Length, and stores it intact', async () => {
    // 5 MiB: spooled to a file from the start (announced) or once past 4 MiB (chunked); 2 MiB: in memory.
    const pkg = documentPackage(H20, [G22, H41], { attachmentBytes: 5 * 1024 * 1024 });
    const signed = Buffer.from(await SigningPool.instance.sign(pkg.xml, await bus.trust.signing(H20)));
    const stored = async (busId: string) =>
      (
        await bus.query<{ body: Buffer }>(`SELECT body FROM package_content WHERE package_id = $1`, [busId])
      )[0]!.body;

    const announced = await api('/documents', token20, { method: 'POST', body: signed });
    expect(announced.status).toBe(202);
    const { busId } = (await announced.json()) as { busId: string };
    expect((await stored(busId)).equals(signed)).toBe(true);
    const atG22 = await waitFor(() => g22.documents.find((d) => d.busId === busId), 'at G22');
    expect(Buffer.from(atG22.body).equals(signed)).toBe(true);
    await waitFor(async () => {
      const list = await inbox(token41, '?types=edoc&poller=a');
      return list.some((i) => i.docId === busId) || null;
    }, 'at H41');
    const fetched = await api(`/inbox/${busId}`, token41);
    expect(Buffer.from(await fetched.arrayBuffer()).equals(signed)).toBe(true);
    // The spool file is gone once the upload is decided.
    expect(readdirSync(join(bus.config.bridge.spoolDirectory, String(process.pid)))).toEqual([]);

    // Chunked, no Content-Length: the pieces are joined as they come. The same package again is a
    // duplicate of the first (nothing stored twice); another one is stored whole.
    const chunked = (bytes: Buffer) =>
      api('/documents', token20, {
        method: 'POST',
        body: new ReadableStream({
          start(controller) {
            for (let at = 0; at < bytes.length; at += 100_000)
              controller.enqueue(bytes.subarray(at, at + 100_000));
            controller.close();
          },
        }),
        duplex: 'half',
      });
    const again = await chunked(signed);
    expect(await again.json()).toMatchObject({ outcome: 'duplicate', busId });
    const other = documentPackage(H20, [G22], { attachmentBytes: 2 * 1024 * 1024 });
    const otherSigned = Buffer.from(await SigningPool.instance.sign(other.xml, await bus.trust.signing(H20)));
    const second = await chunked(otherSigned);
    expect(second.status).toBe(202);
    expect((await stored(((await second.json()) as { busId: string }).busId)).equals(otherSigned)).toBe(true);

    // A spooled package changed after signing is refused like any other, and quarantined whole.
    const tampered = Buffer.from(signed);
    let letter = Math.floor(signed.length / 2); // inside the attachment's base64
    while (!/[A-Za-z]/.test(String.fromCharCode(signed[letter]!))) letter++;
    tampered[letter] = tampered[letter] === 0x41 ? 0x42 : 0x41;
    const refused = await chunked(tampered);
    expect(refused.status).toBe(422);
    expect(await refused.json()).toMatchObject({ code: 'SIG_INVALID' });
    const [quarantined] = await bus.query<{ body: Buffer; sha256: Buffer }>(
      `SELECT body, sha256 FROM quarantine WHERE reason_code = 'SIG_INVALID' ORDER BY received_at DESC LIMIT 1`,
    );
    expect(quarantined!.body.equals(tampered)).toBe(true);
    expect(quarantined!.sha256.toString('hex')).toBe(createHash('sha256').update(tampered).digest('hex'));
    expect(readdirSync(join(bus.config.bridge.spoolDirectory, String(process.pid)))).toEqual([]);
  });

  it('refuses large hostile uploads (spooled) with a reason and a quarantine record, and keeps no file', async () => {
    const MiB = 1024 * 1024;
    const inPieces = (bytes: Buffer) =>
      api('/documents', token20, {
        method: 'POST',
        body: new ReadableStream({
          start(controller) {
            for (let at = 0; at < bytes.length; at += MiB) controller.enqueue(bytes.subarray(at, at + MiB));
            controller.close();
          },
        }),
        duplex: 'half',
      });
    const ns = 'http://www.mic.gov.vn/TBT/QCVN_102_2016';
    const cases: Array<[string, Buffer, number, string]> = [
      [
        'a DOCTYPE before 5 MiB of base64',
        Buffer.concat([
          Buffer.from(`<!DOCTYPE edXML [<!ENTITY x "y">]><edXML xmlns="${ns}"><a>`),
          Buffer.alloc(5 * MiB, 0x41),
          Buffer.from('</a></edXML>'),
        ]),
        422,
        'XML_DOCTYPE_FORBIDDEN',
      ],
      ['6 MiB of zero bytes', Buffer.alloc(6 * MiB), 422, 'XML_MALFORMED'],
      [
        'one byte over the 50 MB cap, with no Content-Length',
        Buffer.concat([
          Buffer.from(`<edXML xmlns="${ns}"><pad>`),
          Buffer.alloc(bus.config.xmlLimits.maxBytes, 0x41),
          Buffer.from('</pad></edXML>'),
        ]),
        413,
        'TOO_LARGE',
      ],
    ];
    for (const [label, bytes, status, code] of cases) {
      const r = await inPieces(bytes);
      const reply = (await r.json()) as { code: string; quarantineId: string };
      expect({ label, status: r.status, code: reply.code }).toEqual({ label, status, code });
      const [kept] = await bus.query<{ size: number; stored: number; truncated: boolean }>(
        `SELECT size_bytes AS size, octet_length(body) AS stored, body_truncated AS truncated
           FROM quarantine WHERE id = $1`,
        [reply.quarantineId],
      );
      const cap = bus.config.quarantineMaxStoredBytes;
      expect(kept).toEqual({
        size: Math.min(bytes.length, bus.config.xmlLimits.maxBytes + 1),
        stored: Math.min(bytes.length, cap),
        truncated: bytes.length > cap,
      });
      expect(readdirSync(join(bus.config.bridge.spoolDirectory, String(process.pid)))).toEqual([]);
    }
  });

  it('refuses a tampered package with 422 and the reason code', async () => {
    const pkg = documentPackage(H20, [G22]);
    const signed = await SigningPool.instance.sign(pkg.xml, await bus.trust.signing(H20));
    const tampered = signed.replace(/<edXML:Subject>[^<]*/, '<edXML:Subject>Đã sửa');
    expect(tampered).not.toBe(signed);
    const r = await api('/documents', token20, { method: 'POST', body: tampered });
    expect(r.status).toBe(422);
    expect(await r.json()).toMatchObject({ outcome: 'rejected', code: 'SIG_INVALID' });
  });

  it('receives, fetches (delivered) and acknowledges a ministry document; others cannot touch it', async () => {
    const pkg = documentPackage(G22, [H20]);
    const busId = (await g22.receiptFor((await g22.client.send(pkg.xml)).messageId)).busId!;
    const [item] = await waitFor(async () => {
      const list = await inbox(token20, '?types=edoc&poller=a');
      return list.some((i) => i.docId === busId) ? list.filter((i) => i.docId === busId) : undefined;
    }, 'listed for H20');
    expect(item).toMatchObject({ messageType: 'edoc', from: G22 });
    expect((await inbox(token20, '?types=edoc&poller=b')).map((i) => i.docId)).not.toContain(busId);

    expect((await api(`/inbox/${busId}`, token41)).status).toBe(404);
    expect((await api(`/inbox/${busId}/ack`, token41, { method: 'POST' })).status).toBe(404);
    const fetched = await api(`/inbox/${busId}`, token20);
    expect(fetched.status).toBe(200);
    expect(fetched.headers.get('content-type')).toMatch(/application\/xml/);
    expect(await fetched.text()).toContain(pkg.documentId);
    const [copy] = await bus.query<{ state: string }>(`SELECT state FROM delivery WHERE package_id = $1`, [
      busId,
    ]);
    expect(copy!.state).toBe('delivered');

    const ack = await api(`/inbox/${busId}/ack`, token20, {
      method: 'POST',
      body: JSON.stringify({ outcome: 'done' }),
      headers: { 'content-type': 'application/json' },
    });
    expect(ack.status).toBe(201);
    expect((await inbox(token20, '?types=edoc&poller=a')).map((i) => i.docId)).not.toContain(busId);
    const bad = await api(`/inbox/${busId}/ack`, token20, { method: 'POST', body: '{"outcome":"maybe"}' });
    expect(bad.status).toBe(400);
    const [badRecorded] = await bus.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM bridge_refusal WHERE transport = 'rest' AND code = 'BAD_REQUEST'`,
    );
    expect(badRecorded!.n).toBe(1); // refused calls are recorded, whatever was wrong with them

    const sent = (await (await api('/sent', token20)).json()) as { documents: Array<{ copies: unknown[] }> };
    expect(sent.documents.length).toBeGreaterThanOrEqual(1);
  });

  it('refuses calls without a valid token, and serves its OpenAPI description', async () => {
    expect((await api('/inbox', null)).status).toBe(401);
    expect((await api('/inbox', 'edb_not-a-token')).status).toBe(401);
    const [row] = await bus.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM bridge_refusal WHERE transport = 'rest' AND code = 'BAD_CREDENTIALS'`,
    );
    expect(row!.n).toBeGreaterThanOrEqual(2);
    const docs = (await (await fetch(`${bus.httpBase()}/api/docs`)).json()) as {
      openapi: string;
      paths: object;
    };
    expect(docs.openapi).toBe('3.1.0');
    expect(Object.keys(docs.paths)).toContain('/api/v1/inbox/{docId}/ack');
  });

  it('moves what waited in the broker inbox of an endpoint that leaves AMQP into its pull inbox', async () => {
    const G05 = '000.00.00.G05'; // on AMQP, its DMS not reading
    const sent = documentPackage(G22, [G05]);
    const busId = (await g22.receiptFor((await g22.client.send(sent.xml)).messageId)).busId!;
    const waiting = async () => {
      const conn = await amqplib.connect(bus.config.amqpUrl);
      try {
        return (await (await conn.createChannel()).checkQueue(`edoc.inbox.${G05}`)).messageCount;
      } finally {
        await conn.close();
      }
    };
    await waitFor(async () => ((await waiting()) === 1 ? true : undefined), 'the copy in its broker inbox');

    const token = (await bus.provisionBridge(G05)).token; // moves it to the bridges
    expect(await waiting()).toBe(0);
    const [item] = await inbox(token, '?types=edoc');
    expect(item).toMatchObject({ docId: busId, messageType: 'edoc', from: G22 });
    const fetched = await api(`/inbox/${busId}`, token);
    expect(fetched.status).toBe(200);
    const [stored] = await bus.query<{ sha256: string }>(
      `SELECT encode(sha256, 'hex') AS sha256 FROM package WHERE id = $1`,
      [busId],
    );
    const body = Buffer.from(await fetched.arrayBuffer());
    expect(createHash('sha256').update(body).digest('hex')).toBe(stored!.sha256); // the package as accepted
    expect(body.toString()).toContain(sent.documentId);
  });
});
