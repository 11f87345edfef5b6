import amqplib from 'amqplib';
import { EdocBusClient } from '../../src/adapters/amqp/sdk';
import { brokerUserOfCertificate } from '../../src/adapters/amqp/certificate-user';
import { endpointAmqpUrl } from '../../src/adapters/cli/credentials';
import { ProvisionEndpoints } from '../../src/modules/registry/use-cases/provision-endpoints.use-case';
import { waitFor } from '../support/infrastructure';
import { documentPackage } from '../support/packages';
import { TestBus } from '../support/test-bus';
import { TestTrust } from '../support/test-trust';
import { TlsBroker } from '../support/tls-broker';

const G22 = '000.00.00.G22';
const H41 = '000.00.00.H41';

/**
 * AMQPS with the organs' own certificates, on a RabbitMQ node configured as a deployment's is
 * (scripts/rabbitmq-node.sh: TLS listener, client certificates verified, EXTERNAL login): an
 * endpoint logs in by its certificate, no password exists, and the broker still vouches for the
 * sender — now the organ of the certificate, the same organ its documents' signatures name.
 */
describe('AMQPS with client certificates (EXTERNAL)', () => {
  let trust: TestTrust;
  let broker: TlsBroker;
  let bus: TestBus;
  const clients: EdocBusClient[] = [];

  beforeAll(async () => {
    trust = await TestTrust.start();
    broker = await TlsBroker.start(trust);
    bus = await TestBus.start(
      {},
      {
        trust,
        broker: {
          amqpUrl: broker.amqpsUrl(),
          managementUrl: broker.managementUrl(),
          tls: { caPem: broker.caPem, certPem: null, keyPem: null },
        },
      },
    );
    await bus.seed();
    const certificates = new Map<string, string>();
    for (const organ of [G22, H41]) certificates.set(organ, (await trust.signing(organ)).certificatePem);
    const issued = await bus
      .get(ProvisionEndpoints)
      .execute({ codes: [G22, H41], actor: 'test', certificates });
    expect(issued.map((c) => c.transport === 'amqp' && c.auth)).toEqual(['cert', 'cert']);
  }, 120_000);
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await bus?.close();
    await broker?.stop();
  });

  /** The endpoint's SDK over AMQPS, logged in by `organ`'s certificate (or another's). */
  const connect = async (organ: string, certificateOf = organ) => {
    const signing = await trust.signing(certificateOf);
    const client = await EdocBusClient.connect({
      url: endpointAmqpUrl(bus.config.amqpUrl, {
        organId: organ,
        auth: 'cert',
        username: '',
        password: '',
        inboxQueue: '',
        submitExchange: '',
      }),
      organId: organ,
      autoArrivedStatus: false,
      signing: await trust.signing(organ),
      tls: { caPem: broker.caPem, certificatePem: signing.certificatePem, keyPem: signing.keyPem },
    });
    clients.push(client);
    return client;
  };

  it('carries a document between two endpoints that log in by certificate, the sender bound to the certificate’s organ', async () => {
    const g22 = await connect(G22);
    const h41 = await connect(H41);
    const received: string[] = [];
    h41.onDocument((d) => void received.push(d.busId));
    const receipts: Array<{ correlationId?: string; outcome: string; busId?: string }> = [];
    g22.onReceipt((r) => void receipts.push(r));
    await h41.start();
    await g22.start();
    const sent = await g22.send(documentPackage(G22, [H41]).xml);
    const receipt = await waitFor(() => receipts.find((r) => r.correlationId === sent.messageId), 'receipt');
    expect(receipt.outcome).toBe('accepted');
    await waitFor(() => received.includes(receipt.busId!), 'the copy at H41');
    const [row] = await bus.query<{ sender: string }>(`SELECT sender FROM package WHERE id = $1`, [
      receipt.busId,
    ]);
    expect(row!.sender).toBe(G22);
  });

  it('lets no certificate publish as another organ or read its inbox (the broker refuses)', async () => {
    const h41 = await trust.signing(H41);
    const conn = await amqplib.connect(bus.config.amqpUrl.replace(/\/\/[^@]*@/, '//'), {
      ca: [broker.caPem],
      cert: h41.certificatePem,
      key: h41.keyPem,
      credentials: amqplib.credentials.external(),
    });
    try {
      const publish = await conn.createChannel();
      const closed = new Promise<{ code?: number }>((resolve) => publish.once('error', resolve));
      const asG22 = brokerUserOfCertificate((await trust.signing(G22)).certificatePem);
      publish.publish('edoc.submit', 'edoc', Buffer.from('<x/>'), { userId: asG22 });
      expect((await closed).code).toBe(406); // user_id is not the authenticated (certificate) user
      const read = await conn.createChannel();
      read.on('error', () => undefined);
      await expect(read.consume(`edoc.inbox.${G22}`, () => undefined)).rejects.toThrow(/ACCESS_REFUSED|403/);
    } finally {
      await conn.close().catch(() => undefined);
    }
  });

  it('refuses a password login as a certificate endpoint, and a certificate the broker does not trust', async () => {
    const base = new URL(bus.config.amqpUrl);
    const asPassword = (user: string) => {
      const u = new URL(base);
      u.username = encodeURIComponent(user);
      u.password = 'any-password';
      return amqplib.connect(u.toString(), { ca: [broker.caPem] });
    };
    const dn = brokerUserOfCertificate((await trust.signing(G22)).certificatePem);
    await expect(asPassword(dn)).rejects.toThrow(/ACCESS_REFUSED|403/);
    await expect(asPassword(bus.brokerUser(G22))).rejects.toThrow(/ACCESS_REFUSED|403/);
    const foreign = await trust.badSigning('foreign-ca');
    await expect(
      amqplib.connect(bus.config.amqpUrl.replace(/\/\/[^@]*@/, '//'), {
        ca: [broker.caPem],
        cert: foreign.certificatePem,
        key: foreign.keyPem,
        credentials: amqplib.credentials.external(),
      }),
    ).rejects.toThrow();
  });
});
