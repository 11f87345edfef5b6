import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer as createTlsServer, type ConnectionOptions } from 'node:tls';
import { TLS12_CIPHERS } from '../../src/adapters/http/bus-listener';
import { privateKeyPem } from '../../tools/pki/test-pki';
import { AxisClient } from '../../src/adapters/http/axis/client/axis-client';
import { TestBus } from '../support/test-bus';
import { TestTrust } from '../support/test-trust';
import { cliEnv, runCli } from '../support/cli';
import { waitFor } from '../support/infrastructure';
import { documentPackage } from '../support/packages';

const PASSWORD = 'mật-khẩu-tls-2026';

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** The request went over a connection opened for an earlier one (keep-alive). */
  reused: boolean;
}

/** One HTTPS or HTTP request, by hand: the test decides what the client trusts and sends. */
function call(
  url: string,
  options: {
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    ca?: string;
    agent?: Agent;
    /** A client certificate (PEM) and its key, shown in the handshake. */
    client?: { certificatePem: string; keyPem: string };
  } = {},
): Promise<Answer> {
  const u = new URL(url);
  const send = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      {
        host: u.hostname,
        port: u.port,
        path: `${u.pathname}${u.search}`,
        method: options.method ?? 'GET',
        headers: options.headers,
        ...(u.protocol === 'https:'
          ? {
              ca: options.ca,
              servername: 'localhost',
              agent: options.agent ?? false,
              ...(options.client ? { cert: options.client.certificatePem, key: options.client.keyPem } : {}),
            }
          : {}),
      },
      (res) => {
        let body = '';
        res
          .setEncoding('utf8')
          .on('data', (c: string) => (body += c))
          .on('end', () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body, reused: req.reusedSocket }),
          );
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** A TLS handshake with the bus: what was agreed, or why it failed. */
function handshake(
  port: number,
  options: ConnectionOptions,
): Promise<{ protocol: string | null; cipher: string; serial: string } | { error: string }> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', ...options }, () => {
      const cert = socket.getPeerX509Certificate();
      resolve({
        protocol: socket.getProtocol(),
        cipher: socket.getCipher().name,
        serial: cert?.serialNumber ?? '',
      });
      socket.end();
    });
    socket.on('error', (error: Error) => resolve({ error: error.message }));
  });
}

/** Logs in to the console and returns the answer that carries the session cookie. */
async function login(
  base: string,
  ca: string | undefined,
  extra: Record<string, string> = {},
): Promise<Answer> {
  const form = await call(`${base}/console/login`, { ca, headers: extra });
  const csrf = /name="csrf" value="([^"]+)"/.exec(form.body)![1]!;
  const cookie = (form.headers['set-cookie'] ?? [])
    .map((c) => c.split(';')[0])
    .find((c) => c!.startsWith('edoc_login='))!;
  return call(`${base}/console/login`, {
    method: 'POST',
    ca,
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie, ...extra },
    body: new URLSearchParams({ username: 'admin-tls', password: PASSWORD, csrf }).toString(),
  });
}

const sessionCookie = (a: Answer) =>
  (a.headers['set-cookie'] ?? []).find((c) => c.startsWith('edoc_console='));

/**
 * HTTPS on the bus's port, with real handshakes: TLS 1.3 (and 1.2 with forward-secret AEAD suites
 * only), nothing older or weaker; the console's cookies Secure and HSTS over TLS; plaintext on the
 * same port redirected (console) or refused (everything else); X-Forwarded-Proto believed only from
 * a listed proxy; a renewed certificate taken from disk without dropping open connections.
 */
describe('TLS on the bus’s port', () => {
  let trust: TestTrust;
  let bus: TestBus;
  let ca = '';
  let port = 0;
  let dir = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'edoc-tls-'));
    trust = await TestTrust.start();
    // TLS_CA: the CAs named when the bus asks callers for a certificate (mutual TLS, per endpoint).
    writeFileSync(join(dir, 'client-ca.pem'), trust.pki.trustAnchorsPem() + trust.pki.intermediatesPem());
    const server = await trust.serverTls(dir, { caFile: join(dir, 'client-ca.pem') });
    ca = server.ca;
    bus = await TestBus.start({ tls: server.tls }, { trust });
    await bus.seed();
    port = Number(new URL(bus.httpBase()).port);
    expect(
      await runCli(['users', 'add', 'admin-tls', '--role', 'admin', '--password', PASSWORD], cliEnv(bus)),
    ).toMatchObject({ status: 0 });
  });
  afterAll(async () => {
    await bus?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('speaks TLS 1.3 with a certificate that verifies for localhost and 127.0.0.1', async () => {
    expect(bus.httpBase()).toBe(`https://127.0.0.1:${port}`);
    expect(await handshake(port, { ca })).toMatchObject({ protocol: 'TLSv1.3' });
    expect(await handshake(port, { ca, servername: undefined, host: '127.0.0.1' })).toMatchObject({
      protocol: 'TLSv1.3',
    });
    expect(await handshake(port, {})).toEqual({ error: expect.stringMatching(/certificate/) }); // not trusted without the CA
  });

  it('refuses TLS 1.0 and 1.1 and CBC suites; takes TLS 1.2 with ECDHE and AEAD', async () => {
    const old = { ca, ciphers: 'DEFAULT@SECLEVEL=0' };
    const tls12 = { ca, maxVersion: 'TLSv1.2' as const };
    const weak: ConnectionOptions[] = [
      { ...old, minVersion: 'TLSv1', maxVersion: 'TLSv1' },
      { ...old, minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1' },
      { ...tls12, ciphers: 'ECDHE-ECDSA-AES128-SHA' },
      { ...tls12, ciphers: 'ECDHE-ECDSA-AES256-SHA384' },
    ];
    for (const client of weak) expect(await handshake(port, client)).toHaveProperty('error');
    // The positive control: a permissive server with the same certificate takes every one of
    // them from this client, so the refusals above are the bus's, not the client's.
    const permissive = createTlsServer(
      {
        cert: readFileSync(join(dir, 'server.crt')),
        key: readFileSync(join(dir, 'server.key')),
        minVersion: 'TLSv1',
        ciphers: 'ALL@SECLEVEL=0',
      },
      (socket) => socket.end(),
    );
    await new Promise<void>((resolve) => permissive.listen(0, '127.0.0.1', resolve));
    try {
      const other = (permissive.address() as AddressInfo).port;
      for (const client of weak) expect(await handshake(other, client)).toHaveProperty('protocol');
    } finally {
      permissive.close();
    }
    expect(await handshake(port, { ...tls12, ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' })).toMatchObject({
      protocol: 'TLSv1.2',
      cipher: 'ECDHE-ECDSA-AES128-GCM-SHA256',
    });
    // No RSA key exchange, no CBC, whatever certificate the bus is given.
    for (const suite of TLS12_CIPHERS.split(':'))
      expect(suite).toMatch(/^ECDHE-(ECDSA|RSA)-(AES\d+-GCM|CHACHA20-POLY1305)/);
  });

  it('marks console cookies Secure and sends HSTS over TLS', async () => {
    const answer = await login(bus.httpBase(), ca);
    expect(answer.status).toBe(303);
    expect(sessionCookie(answer)).toMatch(/; Secure/);
    expect(answer.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
  });

  it('sends a browser asking for the console in clear to https, and refuses everything else in clear', async () => {
    const plain = `http://127.0.0.1:${port}`;
    const console = await call(`${plain}/console/login?lang=en`);
    expect(console.status).toBe(308);
    expect(console.headers.location).toBe(`https://127.0.0.1:${port}/console/login?lang=en`);
    const axis = new AxisClient(plain, '000.00.00.H41', 'secret');
    await expect(axis.call('getReceivedEdocList')).rejects.toThrow(/HTTP 426/);
    const rest = await call(`${plain}/api/v1/documents`, { method: 'POST', body: '<edXML/>' });
    expect(rest.status).toBe(426);
    expect(rest.body).toMatch(/HTTPS only/);
  });

  it('takes a renewed certificate from disk without a restart and without dropping open connections', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1, ca });
    const before = await handshake(port, { ca });
    expect((await call(`${bus.httpBase()}/health/live`, { agent })).status).toBe(200);
    const renewed = await trust.pki.issueServer(['bus.edoc.gov.vn']);
    writeFileSync(join(dir, 'server.key'), await privateKeyPem(renewed.keys.privateKey));
    writeFileSync(join(dir, 'server.crt'), trust.pki.serverChainPem());
    process.emit('SIGHUP');
    const after = await handshake(port, { ca });
    expect('serial' in after && after.serial).toBe(
      new X509Certificate(renewed.certificate.toString('pem')).serialNumber,
    );
    expect('serial' in before && before.serial).not.toBe('serial' in after && after.serial);
    // The connection opened before the renewal still carries requests.
    const reused = await call(`${bus.httpBase()}/health/live`, { agent });
    expect(reused).toMatchObject({ status: 200, reused: true });
    agent.destroy();
  });

  describe('mutual TLS for bridge endpoints (endpoints auth)', () => {
    const H41 = '000.00.00.H41'; // hmac: the axis SDK's secret, as today
    const H14 = '000.00.00.H14'; // mtls: its certificate only
    const H56 = '000.00.00.H56'; // mtls+hmac: both
    const secrets = new Map<string, string>();
    const tokens = new Map<string, string>();

    beforeAll(async () => {
      for (const organ of [H41, H14, H56]) {
        const c = await bus.provisionBridge(organ);
        secrets.set(organ, c.secret);
        tokens.set(organ, c.token);
      }
      for (const [organ, mode] of [
        [H14, 'mtls'],
        [H56, 'mtls+hmac'],
      ] as const) {
        expect(
          await runCli(
            ['endpoints', 'auth', organ, mode, '--reason', 'kết nối bằng chứng thư số'],
            cliEnv(bus),
          ),
        ).toMatchObject({ status: 0 });
      }
    });

    /** An axis SDK call with the HMAC of `secret`, showing `client` in the handshake. */
    const axisCall = async (
      organ: string,
      secret: string,
      client?: { certificatePem: string; keyPem: string },
    ) => {
      const headers = new AxisClient(bus.httpBase(), organ, secret).signedHeaders({});
      const answer = await call(`${bus.httpBase()}/getAgenciesList`, { method: 'POST', headers, ca, client });
      return JSON.parse(answer.body) as { ErrorCode: string; ErrorDesc: string };
    };
    const refusals = async () =>
      bus.query<{ claimed: string; reason: string }>(
        `SELECT claimed, reason FROM bridge_refusal ORDER BY id`,
      );

    it('refuses an mtls endpoint’s call without its own good certificate (15, recorded), and takes it with one', async () => {
      const before = (await refusals()).length;
      const secret = secrets.get(H14)!;
      const cases = [
        ['none', undefined],
        ['foreign CA', await trust.badSigning('foreign-ca')],
        ['expired', await trust.badSigning('expired')],
        ['revoked', await trust.badSigning('revoked')],
        ['another organ’s', await trust.signing(H41)],
      ] as const;
      for (const [label, client] of cases) {
        const answer = await axisCall(H14, secret, client);
        expect({ label, code: answer.ErrorCode }).toEqual({ label, code: '15' });
        expect(answer.ErrorDesc).toMatch(/^BAD_CREDENTIALS: /);
      }
      const reasons = (await refusals()).slice(before).map((r) => r.reason);
      expect(reasons).toEqual([
        expect.stringMatching(/requires its certificate: no client certificate$/),
        expect.stringMatching(/untrusted client certificate \(CERT_UNTRUSTED/),
        expect.stringMatching(/untrusted client certificate \(CERT_EXPIRED/),
        expect.stringMatching(/client certificate revoked/),
        expect.stringMatching(/belongs to 000\.00\.00\.H41, not/),
      ]);
      // Refused calls change nothing: a copy waiting for H14 is neither taken nor settled by them.
      const g22 = await bus.inbox('000.00.00.G22');
      const sent = await g22.client.send(documentPackage('000.00.00.G22', [H14]).xml);
      const busId = (await g22.receiptFor(sent.messageId)).busId!;
      await waitFor(
        async () =>
          (await bus.query(`SELECT 1 FROM pull_item WHERE endpoint = $1 AND package_id = $2`, [H14, busId]))
            .length > 0,
        'the copy in H14’s pull inbox',
      );
      for (const client of [undefined, await trust.signing(H41)]) {
        const headers = new AxisClient(bus.httpBase(), H14, secret).signedHeaders({
          docid: busId,
          status: 'done',
        });
        const settle = await call(`${bus.httpBase()}/updateStatus`, { method: 'POST', headers, ca, client });
        expect(JSON.parse(settle.body)).toMatchObject({ ErrorCode: '15' });
        const taken = await call(`${bus.httpBase()}/api/v1/inbox/${busId}`, { ca, client });
        expect(taken.status).toBe(401);
      }
      const [copy] = await bus.query<{ state: string }>(`SELECT state FROM delivery WHERE package_id = $1`, [
        busId,
      ]);
      expect(copy!.state).toBe('queued');
      const [item] = await bus.query<{ state: string }>(`SELECT state FROM pull_item WHERE package_id = $1`, [
        busId,
      ]);
      expect(item!.state).toBe('pending');
      // Its own certificate: the call works, whatever the secret.
      expect((await axisCall(H14, 'no-secret-needed', await trust.signing(H14))).ErrorCode).toBe('0');
      const rest = await call(`${bus.httpBase()}/api/v1/inbox`, { ca, client: await trust.signing(H14) });
      expect(rest.status).toBe(200);
      expect((await call(`${bus.httpBase()}/api/v1/inbox`, { ca })).status).toBe(401);
    });

    it('requires both on an mtls+hmac endpoint, and leaves an hmac endpoint’s SDK clients as they are', async () => {
      const own = await trust.signing(H56);
      expect((await axisCall(H56, 'wrong-secret', own)).ErrorCode).toBe('15');
      expect((await axisCall(H56, secrets.get(H56)!)).ErrorCode).toBe('15');
      expect((await axisCall(H56, secrets.get(H56)!, own)).ErrorCode).toBe('0');
      const token = { authorization: `Bearer ${tokens.get(H56)!}` };
      expect((await call(`${bus.httpBase()}/api/v1/inbox`, { ca, headers: token })).status).toBe(401);
      expect((await call(`${bus.httpBase()}/api/v1/inbox`, { ca, headers: token, client: own })).status).toBe(
        200,
      );

      expect((await axisCall(H41, secrets.get(H41)!)).ErrorCode).toBe('0');
      expect((await axisCall(H41, 'wrong')).ErrorCode).toBe('15');
      const [change] = await bus.query<{ reason: string }>(
        `SELECT reason FROM endpoint_change WHERE organ_id = $1 AND action = 'auth'`,
        [H56],
      );
      expect(change!.reason).toBe('hmac → mtls+hmac: kết nối bằng chứng thư số');
    });
  });
});

describe('X-Forwarded-Proto', () => {
  it('is ignored from an address that is not a listed proxy, and believed from one that is', async () => {
    const forged = { 'x-forwarded-proto': 'https' };
    const untrusted = await TestBus.start();
    try {
      await untrusted.seed();
      await runCli(
        ['users', 'add', 'admin-tls', '--role', 'admin', '--password', PASSWORD],
        cliEnv(untrusted),
      );
      const answer = await login(untrusted.httpBase(), undefined, forged);
      expect(answer.status).toBe(303);
      expect(sessionCookie(answer)).not.toMatch(/Secure/);
      expect(answer.headers['strict-transport-security']).toBeUndefined();
    } finally {
      await untrusted.close();
    }
    const proxied = await TestBus.start({ trustedProxies: ['127.0.0.1', '::ffff:127.0.0.1'] });
    try {
      await proxied.seed();
      await runCli(['users', 'add', 'admin-tls', '--role', 'admin', '--password', PASSWORD], cliEnv(proxied));
      const answer = await login(proxied.httpBase(), undefined, forged);
      expect(sessionCookie(answer)).toMatch(/; Secure/);
      expect(answer.headers['strict-transport-security']).toBeDefined();
    } finally {
      await proxied.close();
    }
  });
});
