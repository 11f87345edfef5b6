import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { request as httpRequest } from 'node:http';
import * as soap from 'soap';
import { withServiceAddress } from '../../src/adapters/http/soap/soap-bridge';
import { SigningPool } from '../../src/adapters/workers/signing-pool';
import { waitFor } from '../support/infrastructure';
import { documentPackage } from '../support/packages';
import { TestBus, type Inbox } from '../support/test-bus';

const G22 = '000.00.00.G22'; // on AMQP
const H56 = '000.00.00.H56'; // Thanh Hóa, on the SOAP bridge
const H14 = '000.00.00.H14'; // Cao Bằng, on the SOAP bridge too

type Reply = Record<string, unknown>;

/** Calls an operation the client built from the WSDL (node-soap types them as `any`). */
class Client {
  constructor(readonly soap: soap.Client) {}

  async call(operation: string, args: object): Promise<Reply> {
    const method = (this.soap as unknown as Record<string, (a: object) => Promise<[Reply]>>)[
      `${operation}Async`
    ];
    return (await method!.call(this.soap, args))[0];
  }

  operations(): string[] {
    const d = this.soap.describe() as { EdocService: { EdocPort: Record<string, unknown> } };
    return Object.keys(d.EdocService.EdocPort);
  }
}
const list = (r: Reply, key: string) => (r[key] ?? []) as Reply[];

/** The SOAP bridge, driven by a real node-soap client built from the WSDL the bus serves. */
describe('the SOAP bridge (/soap/edoc)', () => {
  let bus: TestBus;
  let g22: Inbox;
  let h56: Client, h14: Client, stranger: Client;

  const client = async (username: string, password: string): Promise<Client> => {
    // No endpoint override: like zeep, .NET or Java clients, it posts where the WSDL says.
    const c = await soap.createClientAsync(`${bus.httpBase()}/soap/edoc?wsdl`);
    c.setSecurity(
      new soap.WSSecurity(username, password, { passwordType: 'PasswordText', hasTimeStamp: false }),
    );
    return new Client(c);
  };
  const faultOf = async (call: Promise<unknown>) => {
    try {
      await call;
    } catch (error) {
      const root = (
        error as {
          root?: { Envelope?: { Body?: { Fault?: { detail?: { EdocFault?: Record<string, string> } } } } };
        }
      ).root;
      return root?.Envelope?.Body?.Fault?.detail?.EdocFault;
    }
    throw new Error('expected a SOAP fault');
  };

  beforeAll(async () => {
    bus = await TestBus.start();
    await bus.seed();
    g22 = await bus.inbox(G22);
    h56 = await client(H56, (await bus.provisionBridge(H56)).secret);
    h14 = await client(H14, (await bus.provisionBridge(H14)).secret);
    stranger = await client(H56, 'wrong-password');
  });
  afterAll(() => bus?.close());

  it('serves its WSDL, with the address the client reached the bus at', async () => {
    const wsdl = await (await fetch(`${bus.httpBase()}/soap/edoc?wsdl`)).text();
    expect(wsdl).toContain('GetReceivedEdocList');
    expect(wsdl).toContain(`<soap:address location="${bus.httpBase()}/soap/edoc"/>`);
    // Reached under another name (a DNS name, another port of a proxy): that name is advertised.
    const port = new URL(bus.httpBase()).port;
    /** The WSDL as served to a request that names the bus `host` (Host header). */
    const wsdlFor = (host: string) =>
      new Promise<string>((resolve, reject) => {
        const req = httpRequest(
          { host: '127.0.0.1', port, path: '/soap/edoc?WSDL', headers: { host } },
          (res) => {
            let body = '';
            res
              .setEncoding('utf8')
              .on('data', (c: string) => (body += c))
              .on('end', () => resolve(body));
          },
        );
        req.on('error', reject).end();
      });
    // Reached under another name (a DNS name, another port of a proxy): that name is advertised.
    expect(await wsdlFor(`bus.example.gov.vn:${port}`)).toContain(
      `<soap:address location="http://bus.example.gov.vn:${port}/soap/edoc"/>`,
    );
    // A Host header that is not a host name gives way to the address the connection came to.
    const odd = await wsdlFor('x" onload="y');
    expect(odd).toContain(`<soap:address location="http://127.0.0.1:${port}/soap/edoc"/>`);
    expect(h56.operations()).toEqual([
      'SendEdoc',
      'GetReceivedEdocList',
      'GetEdoc',
      'UpdateStatus',
      'GetSentEdocList',
      'GetAgencies',
    ]);
  });

  it('sends, receives, fetches, acknowledges and tracks over SOAP, with a ministry on AMQP', async () => {
    // An envelope over 4 MiB is spooled to a file, and the Package text is decoded from it into the
    // package's own spool file before node-soap parses what is left (see lifted-package.ts).
    const out = documentPackage(H56, [G22], { attachmentBytes: 3.5 * 1024 * 1024 });
    const signed = await SigningPool.instance.sign(out.xml, await bus.trust.signing(H56));
    const sent = await h56.call('SendEdoc', {
      MessageType: 'edoc',
      Package: Buffer.from(signed).toString('base64'),
    });
    expect(sent).toMatchObject({ Outcome: 'accepted', DocumentId: out.documentId });
    const delivered = await waitFor(() => g22.documents.find((d) => d.busId === sent['DocId']), 'at G22');
    expect(Buffer.from(delivered.body).equals(Buffer.from(signed))).toBe(true);
    expect(readdirSync(join(bus.config.bridge.spoolDirectory, String(process.pid)))).toEqual([]);
    // Decoded from the spooled envelope and written with COPY: stored byte for byte.
    const [kept] = await bus.query<{ body: Buffer }>(
      `SELECT body FROM package_content WHERE package_id = $1`,
      [sent['DocId']],
    );
    expect(kept!.body.equals(Buffer.from(signed))).toBe(true);

    // Over 3 MiB: the package is streamed into the envelope in more than one piece.
    const incoming = documentPackage(G22, [H56], { attachmentBytes: 4 * 1024 * 1024 });
    const busId = (await g22.receiptFor((await g22.client.send(incoming.xml)).messageId)).busId!;
    const items = await waitFor(async () => {
      const r = await h56.call('GetReceivedEdocList', { MessageType: 'edoc', PollerId: 'soap-1' });
      const items = list(r, 'Item');
      return items.some((i) => i['DocId'] === busId) ? items : undefined;
    }, 'listed over SOAP');
    expect(items.find((i) => i['DocId'] === busId)).toMatchObject({
      From: G22,
      DocumentId: incoming.documentId,
    });

    const fetched = await h56.call('GetEdoc', { DocId: busId });
    const [stored] = await bus.query<{ body: Buffer }>(
      `SELECT body FROM package_content WHERE package_id = $1`,
      [busId],
    );
    const received = Buffer.from(fetched['Package'] as string, 'base64');
    expect(received.length).toBeGreaterThan(4 * 1024 * 1024);
    expect(received.equals(stored!.body)).toBe(true);
    const done = await h56.call('UpdateStatus', { DocId: busId, Status: 'done' });
    expect(done).toMatchObject({ State: 'done' });
    const sentList = await h56.call('GetSentEdocList', {});
    expect(list(sentList, 'Line').find((l) => l['DocId'] === sent['DocId'])).toMatchObject({
      ToCode: G22,
    });
    const agencies = await h56.call('GetAgencies', { Form: 'qd20' });
    expect(list(agencies, 'Agency').find((a) => a['Code102'] === H56)).toMatchObject({
      Code: 'H56',
    });
  });

  it('answers refusals with faults carrying the axis code and the reason', async () => {
    expect(await faultOf(stranger.call('GetAgencies', {}))).toMatchObject({
      ErrorCode: '15',
      ReasonCode: 'BAD_CREDENTIALS',
    });
    expect(
      await faultOf(
        h56.call('SendEdoc', { MessageType: 'edoc', Package: Buffer.from('<x').toString('base64') }),
      ),
    ).toMatchObject({
      ErrorCode: '22',
      ReasonCode: 'XML_MALFORMED',
    });
    const theirs = documentPackage(G22, [H14]);
    const theirId = (await g22.receiptFor((await g22.client.send(theirs.xml)).messageId)).busId!;
    await waitFor(async () => {
      const r = await h14.call('GetReceivedEdocList', { PollerId: 'x' });
      return list(r, 'Item').some((i) => i['DocId'] === theirId);
    }, 'at H14');
    expect(await faultOf(h56.call('GetEdoc', { DocId: theirId }))).toMatchObject({
      ErrorCode: '21',
      ReasonCode: 'NOT_FOUND',
    });
    const [rows] = await bus.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM bridge_refusal WHERE transport = 'soap'`,
    );
    expect(rows!.n).toBeGreaterThanOrEqual(2);
  });

  it('refuses a body over the size limit before parsing it', async () => {
    const res = await fetch(`${bus.httpBase()}/soap/edoc`, {
      method: 'POST',
      headers: { 'content-type': 'text/xml' },
      body: Buffer.alloc(Math.ceil((bus.config.xmlLimits.maxBytes * 4) / 3) + 300 * 1024, 0x20),
    });
    expect(res.status).toBe(413);
  });

  it('records envelopes it cannot read, as well as oversized ones', async () => {
    const res = await fetch(`${bus.httpBase()}/soap/edoc`, {
      method: 'POST',
      headers: { 'content-type': 'text/xml' },
      body: 'this is not an envelope <<<',
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    const rows = await waitFor(async () => {
      const r = await bus.query<{ reason: string }>(
        `SELECT reason FROM bridge_refusal WHERE transport = 'soap' AND operation = 'unreadable' ORDER BY id`,
      );
      return r.length >= 2 ? r : undefined;
    }, 'both recorded');
    expect(rows.map((r) => r.reason)).toEqual([
      expect.stringMatching(/^body over \d+ bytes$/),
      expect.stringMatching(/^the SOAP envelope could not be read/),
    ]);
  });

  it('advertises PUBLIC_BASE_URL instead, for a bus behind a TLS-terminating proxy', async () => {
    const behind = await TestBus.start({ publicBaseUrl: 'https://edoc.gov.vn/bus' });
    try {
      const wsdl = await (await fetch(`${behind.httpBase()}/soap/edoc?wsdl`)).text();
      expect(wsdl).toContain('<soap:address location="https://edoc.gov.vn/bus/soap/edoc"/>');
    } finally {
      await behind.close();
    }
    expect(withServiceAddress('<soap:address location="x"/>', 'https://a/b?c=1&d="2"')).toBe(
      '<soap:address location="https://a/b?c=1&amp;d=&quot;2&quot;"/>',
    );
  });
});
