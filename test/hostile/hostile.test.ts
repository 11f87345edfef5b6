import * as amqp from 'amqplib';
import { randomUUID } from 'node:crypto';
import * as soap from 'soap';
import { AxisClient } from '../../src/adapters/http/axis/client/axis-client';
import { SigningPool } from '../../src/adapters/workers/signing-pool';
import { hostileCorpus, type HostileCase, type SignedMaterial } from '../support/hostile-corpus';
import { waitFor } from '../support/infrastructure';
import { documentPackage } from '../support/packages';
import { TestBus, type Inbox } from '../support/test-bus';
import { TestTrust } from '../support/test-trust';
import { TlsBroker } from '../support/tls-broker';
import { postgresWithTls, rootsFile, type PostgresTls } from '../support/postgres-tls';
import { trustingAxios, trustingFetch } from '../support/tls-clients';
import { brokerUserOfCertificate } from '../../src/adapters/amqp/certificate-user';
import type { AxiosInstance } from 'axios';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * `npm run test:hostile`: a generated corpus of hostile packages (HOSTILE_COUNT, default 400 in
 * `npm test`, 10,000 at full size) through every entry point — AMQP, the axis SDK HTTP bridge,
 * SOAP and REST. Each must end in a refusal with a reason code and a quarantine row; none may be
 * accepted; the bus must stay up and keep accepting honest packages; memory stays bounded.
 * As deployed: over TLS on every channel — HTTPS, AMQPS with the endpoints' certificates (a
 * broker node of the test's own), PostgreSQL verify-full (HOSTILE_TLS=0 for plain channels).
 */
const COUNT = Number(process.env.HOSTILE_COUNT ?? 400);
const SEED = Number(process.env.HOSTILE_SEED ?? 20261123);
const MAX_BYTES = 1024 * 1024;
const G22 = '000.00.00.G22'; // AMQP
const H41 = '000.00.00.H41'; // axis SDK bridge
const H56 = '000.00.00.H56'; // SOAP
const H20 = '000.00.00.H20'; // REST
const OTHER = '000.00.00.G01'; // whose certificate and identity the forgeries borrow
const OVER_TLS = process.env.HOSTILE_TLS !== '0';

interface Outcome {
  entry: string;
  kind: string;
  refused: boolean;
  reason: string;
}

jest.setTimeout(Math.max(300_000, COUNT * 150));

describe(`hostile packages (${COUNT}, seed ${SEED}) through every entry point`, () => {
  let bus: TestBus;
  let g22: Inbox;
  let peakRss = 0;
  let tls: { trust: TestTrust; broker: TlsBroker; postgres: PostgresTls; dir: string; ca: string } | null =
    null;
  /** HTTP as the bridges' clients do it: trusting the test PKI's roots over TLS. */
  let httpFetch: typeof fetch = fetch;
  let soapRequest: AxiosInstance | undefined;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 100);
  sampler.unref();

  beforeAll(async () => {
    const xmlLimits = {
      maxBytes: MAX_BYTES,
      maxDepth: 64,
      maxElements: 100_000,
      maxAttributesPerElement: 64,
    };
    if (OVER_TLS) {
      const trust = await TestTrust.start();
      const broker = await TlsBroker.start(trust);
      const postgres = await postgresWithTls(trust);
      const dir = mkdtempSync(join(tmpdir(), 'edoc-hostile-tls-'));
      const server = await trust.serverTls(dir, { plaintext: 'off' });
      tls = { trust, broker, postgres, dir, ca: broker.caPem };
      const databaseUrl = new URL(postgres.url);
      databaseUrl.searchParams.set('sslrootcert', rootsFile(trust.pki.trustAnchorsPem()));
      bus = await TestBus.start(
        { xmlLimits, tls: server.tls },
        {
          trust,
          broker: {
            amqpUrl: broker.amqpsUrl(),
            managementUrl: broker.managementUrl(),
            tls: { caPem: broker.caPem, certPem: null, keyPem: null },
          },
          databaseUrl: databaseUrl.toString(),
        },
      );
      httpFetch = trustingFetch(broker.caPem);
      soapRequest = trustingAxios(broker.caPem);
    } else bus = await TestBus.start({ xmlLimits });
    await bus.seed();
    g22 = await bus.inbox(G22);
    await bus.inbox('000.00.00.G03'); // an honest recipient
  }, 120_000);
  afterAll(async () => {
    clearInterval(sampler);
    await bus?.close();
    if (tls) {
      await tls.broker.stop();
      await tls.postgres.close();
      rmSync(tls.dir, { recursive: true, force: true });
    }
  });

  /** Signed material per sender: honest packages to tamper with, and forgeries. */
  const material = async (sender: string): Promise<SignedMaterial> => {
    const own = await bus.trust.signing(sender);
    const other = await bus.trust.signing(OTHER);
    const sign = (from: string, creds: typeof own) =>
      Promise.all(
        Array.from({ length: 12 }, () =>
          SigningPool.instance.sign(
            documentPackage(from, ['000.00.00.G03'], { attachmentBytes: 3000 }).xml,
            creds,
          ),
        ),
      );
    return {
      signed: await sign(sender, own),
      wrongOrganCertificate: await sign(sender, other),
      spoofedFrom: await sign(OTHER, other),
    };
  };
  const corpus = async (sender: string, n: number, offset: number) =>
    hostileCorpus(n, await material(sender), { maxBytes: MAX_BYTES, seed: SEED + offset, sender });

  async function throughAmqp(cases: HostileCase[]): Promise<Outcome[]> {
    const url = bus.endpointUrl(G22);
    const login = tls ? await bus.trust.signing(G22) : null;
    const conn = login
      ? await amqp.connect(url, {
          ca: [tls!.ca],
          cert: login.certificatePem,
          key: login.keyPem,
          credentials: amqp.credentials.external(),
        })
      : await amqp.connect(url);
    const ch = await conn.createConfirmChannel();
    // Over AMQPS the broker user is the certificate's subject; user_id must be it.
    const userId = login
      ? brokerUserOfCertificate(login.certificatePem)
      : decodeURIComponent(new URL(url).username);
    const ids: string[] = cases.map(() => randomUUID());
    // Raw bytes on the wire (the SDK would re-encode invalid UTF-8), with the broker vouching for the sender.
    for (const [i, c] of cases.entries()) {
      ch.publish('edoc.submit', c.messageType, c.bytes, {
        messageId: ids[i],
        type: c.messageType,
        userId,
        contentType: 'application/xml',
        persistent: true,
      });
      if (i % 100 === 99) await ch.waitForConfirms();
    }
    await ch.waitForConfirms();
    await conn.close();
    const wanted = new Set(ids);
    await waitFor(
      () => g22.receipts.filter((r) => wanted.has(r.correlationId ?? '')).length >= ids.length,
      `receipts for ${ids.length} hostile AMQP packages`,
      Math.max(120_000, cases.length * 100),
    );
    const byId = new Map(g22.receipts.map((r) => [r.correlationId, r]));
    return cases.map((c, i) => {
      const r = byId.get(ids[i])!;
      return { entry: 'amqp', kind: c.kind, refused: r.outcome === 'rejected', reason: r.reason ?? '' };
    });
  }

  async function inParallel<T, R>(items: T[], width: number, fn: (t: T) => Promise<R>): Promise<R[]> {
    const out: R[] = new Array<R>(items.length);
    let next = 0;
    await Promise.all(
      Array.from({ length: width }, async () => {
        while (next < items.length) {
          const i = next++;
          out[i] = await fn(items[i]!);
        }
      }),
    );
    return out;
  }

  async function throughAxis(cases: HostileCase[]): Promise<Outcome[]> {
    const c = await bus.provisionBridge(H41);
    const client = new AxisClient(bus.httpBase(), c.systemId, c.secret, 420, httpFetch);
    return inParallel(cases, 6, async (k) => {
      const r = await client.sendEdoc(k.bytes, { messagetype: k.messageType });
      return {
        entry: 'axis',
        kind: k.kind,
        refused: r.ErrorCode !== '0',
        reason: r.ErrorDesc.split(/[:\s]/)[0] ?? '',
      };
    });
  }

  async function throughSoap(cases: HostileCase[]): Promise<Outcome[]> {
    const secret = (await bus.provisionBridge(H56)).secret;
    const client = await soap.createClientAsync(`${bus.httpBase()}/soap/edoc?wsdl`, {
      endpoint: `${bus.httpBase()}/soap/edoc`,
      ...(soapRequest ? { request: soapRequest } : {}),
    });
    client.setSecurity(
      new soap.WSSecurity(H56, secret, { passwordType: 'PasswordText', hasTimeStamp: false }),
    );
    const send = (client as unknown as { SendEdocAsync: (a: object) => Promise<[Record<string, string>]> })
      .SendEdocAsync;
    return inParallel(cases, 6, async (k) => {
      try {
        const [reply] = await send.call(client, {
          MessageType: k.messageType,
          Package: k.bytes.toString('base64'),
        });
        return { entry: 'soap', kind: k.kind, refused: false, reason: String(reply.Outcome) };
      } catch (error) {
        const fault = (
          error as {
            root?: { Envelope?: { Body?: { Fault?: { detail?: { EdocFault?: Record<string, string> } } } } };
          }
        ).root?.Envelope?.Body?.Fault?.detail?.EdocFault;
        return {
          entry: 'soap',
          kind: k.kind,
          refused: fault !== undefined,
          reason: fault?.ReasonCode ?? String(error),
        };
      }
    });
  }

  async function throughRest(cases: HostileCase[]): Promise<Outcome[]> {
    const token = (await bus.provisionBridge(H20)).token;
    return inParallel(cases, 6, async (k) => {
      const r = await httpFetch(
        `${bus.httpBase()}/api/v1/${k.messageType === 'edoc' ? 'documents' : 'statuses'}`,
        {
          method: 'POST',
          body: k.bytes,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/xml' },
        },
      );
      const body = (await r.json().catch(() => ({}))) as { code?: string; quarantineId?: string };
      return {
        entry: 'rest',
        kind: k.kind,
        refused: r.status >= 400 && r.status < 500,
        reason: body.code ?? String(r.status),
      };
    });
  }

  it('refuses every one with a reason, quarantines it, accepts none, and keeps serving', async () => {
    const quarter = Math.ceil(COUNT / 4);
    const outcomes = [
      ...(await throughAmqp(await corpus(G22, quarter, 0))),
      ...(await throughAxis(await corpus(H41, quarter, 1))),
      ...(await throughSoap(await corpus(H56, quarter, 2))),
      ...(await throughRest(await corpus(H20, COUNT - 3 * quarter, 3))),
    ];
    expect(outcomes).toHaveLength(COUNT);

    const summary = new Map<string, Map<string, number>>();
    for (const o of outcomes) {
      const reasons = summary.get(o.kind) ?? new Map<string, number>();
      reasons.set(o.reason, (reasons.get(o.reason) ?? 0) + 1);
      summary.set(o.kind, reasons);
    }
    console.log(
      `hostile corpus: ${COUNT} packages, peak RSS of the test process (bus included) ${(peakRss / 1e6).toFixed(0)} MB\n` +
        [...summary]
          .sort()
          .map(([kind, reasons]) => `  ${kind}: ${[...reasons].map(([r, n]) => `${r} ×${n}`).join(', ')}`)
          .join('\n'),
    );

    const notRefused = outcomes.filter((o) => !o.refused);
    expect(notRefused).toEqual([]);
    expect(outcomes.filter((o) => !/^[A-Z][A-Z0-9_]+$/.test(o.reason))).toEqual([]);
    const [stored] = await bus.query<{ packages: number; quarantined: number }>(
      `SELECT (SELECT count(*) FROM package WHERE sender IN ($1, $2, $3, $4))::int AS packages,
              (SELECT count(*) FROM quarantine)::int AS quarantined`,
      [G22, H41, H56, H20],
    );
    expect(stored).toEqual({ packages: 0, quarantined: COUNT });

    // Still up, still honest: an ordinary package from each kind of sender goes through.
    const ok = await g22.receiptFor(
      (await g22.client.send(documentPackage(G22, ['000.00.00.G03']).xml)).messageId,
    );
    expect(ok.outcome).toBe('accepted');
    expect((await httpFetch(`${bus.httpBase()}/health/ready`)).status).toBe(200);
    if (tls) expect(bus.httpBase()).toMatch(/^https:/);
    expect(peakRss).toBeLessThan(2_500_000_000);
  });
});
