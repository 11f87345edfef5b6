import * as amqp from 'amqplib';
import * as soap from 'soap';
import { AxisClient } from '../../src/adapters/http/axis/client/axis-client';
import { SigningPool } from '../../src/adapters/workers/signing-pool';
import { cliEnv, runCli } from '../support/cli';
import { consoleLogin } from '../../src/adapters/http/console/client/console-login';
import { waitFor } from '../support/infrastructure';
import { documentPackage } from '../support/packages';
import { TestBus, type Inbox } from '../support/test-bus';

const G22 = '000.00.00.G22'; // a ministry on AMQP: sends to A
const G01 = '000.00.00.G01'; // another ministry on AMQP: endpoint B of the broker rows
const A = '000.00.00.H56'; // a province on the bridges: owns the item and the sent document
const B = '000.00.00.H14'; // another province on the bridges: tries everything on A's things
const PASSWORD = 'mật-khẩu-ma-trận-2026';

type Actor = 'owner' | 'other endpoint' | 'anonymous' | 'wrong secret';

/**
 * Who may do what, interface by interface: the owner of an item (endpoint A), another endpoint
 * (B), an anonymous caller and a caller with a wrong secret, on every bridge operation that
 * touches A's inbox, A's sent documents or A's identity; the broker's own refusals for AMQP; and
 * every console page and action for anonymous, auditor, operator and admin. Each row states the
 * expected answer and the test checks that nothing changed when the answer is a refusal.
 */
describe('authorization matrix: every interface × every actor', () => {
  let bus: TestBus;
  let g22: Inbox;
  let a: { systemId: string; secret: string; token: string };
  let b: { systemId: string; secret: string; token: string };
  let itemForA = ''; // a document G22 sent to A, waiting in A's pull inbox
  let sentByA = ''; // a document A sent to G22

  beforeAll(async () => {
    bus = await TestBus.start();
    await bus.seed();
    g22 = await bus.inbox(G22);
    await bus.inbox(G01);
    a = await bus.provisionBridge(A);
    b = await bus.provisionBridge(B);
    itemForA = (await g22.receiptFor((await g22.client.send(documentPackage(G22, [A]).xml)).messageId))
      .busId!;
    const out = await SigningPool.instance.sign(documentPackage(A, [G22]).xml, await bus.trust.signing(A));
    const sent = await fetch(`${bus.httpBase()}/api/v1/documents`, {
      method: 'POST',
      body: out,
      headers: { authorization: `Bearer ${a.token}`, 'content-type': 'application/xml' },
    });
    sentByA = ((await sent.json()) as { busId: string }).busId;
    await waitFor(
      async () =>
        (await bus.query(`SELECT 1 FROM pull_item WHERE endpoint = $1 AND package_id = $2`, [A, itemForA]))
          .length > 0,
      'item in A’s pull inbox',
    );
  });
  afterAll(() => bus?.close());

  const state = async () =>
    (
      await bus.query<{ state: string }>(
        `SELECT state FROM delivery WHERE package_id = $1 AND recipient = $2`,
        [itemForA, A],
      )
    )[0]?.state;

  describe('the axis SDK bridge', () => {
    const client = (actor: Actor) =>
      actor === 'owner'
        ? new AxisClient(bus.httpBase(), a.systemId, a.secret)
        : actor === 'other endpoint'
          ? new AxisClient(bus.httpBase(), b.systemId, b.secret)
          : new AxisClient(bus.httpBase(), a.systemId, actor === 'anonymous' ? '' : 'not-the-secret');
    const anonymousCall = async (operation: string, form: Record<string, string>) => {
      const r = await fetch(`${bus.httpBase()}/${operation}`, {
        method: 'POST',
        body: new URLSearchParams(form),
      });
      return (await r.json()) as { ErrorCode: string };
    };

    it.each<[Actor, string]>([
      ['other endpoint', '21'],
      ['wrong secret', '15'],
      ['anonymous', '15'],
    ])('%s: cannot list, fetch, settle or track A’s things (ErrorCode %s)', async (actor, code) => {
      const before = await state();
      if (actor === 'anonymous') {
        for (const [op, form] of [
          ['getReceivedEdocList', { messagetype: 'edoc' }],
          ['getEdoc', { docid: itemForA }],
          ['updateStatus', { docid: itemForA, status: 'done' }],
          ['getSentEdocList', {}],
        ] as const)
          expect(await anonymousCall(op, form)).toMatchObject({ ErrorCode: '15' });
      } else {
        const c = client(actor);
        const listed = await c.call<Array<{ docId: string }>>('getReceivedEdocList', { messagetype: 'edoc' });
        if (code === '15') expect(listed).toMatchObject({ ErrorCode: '15' });
        else expect((listed.data ?? []).map((i) => i.docId)).not.toContain(itemForA);
        expect(await c.call('getEdoc', { docid: itemForA })).toMatchObject({ ErrorCode: code });
        expect(await client(actor).call('updateStatus', { docid: itemForA, status: 'done' })).toMatchObject({
          ErrorCode: code,
        });
        const tracked = await client(actor).call<unknown>('getSentEdocList', {});
        if (code === '15') expect(tracked).toMatchObject({ ErrorCode: '15' });
        else expect(JSON.stringify(tracked.data)).not.toContain(sentByA);
      }
      expect(await state()).toBe(before);
    });

    it('other endpoint: cannot send as A (from = A with B’s credentials)', async () => {
      const pkg = await SigningPool.instance.sign(documentPackage(A, [G22]).xml, await bus.trust.signing(A));
      expect(await client('other endpoint').sendEdoc(pkg, { from: A })).toMatchObject({ ErrorCode: '15' });
      const asB = await client('other endpoint').sendEdoc(pkg); // from = B, package From = A
      expect(asB.ErrorCode).not.toBe('0');
      expect(asB.ErrorDesc).toMatch(/^SENDER_MISMATCH/);
    });

    it('owner: may fetch its item (the positive control of the rows above)', async () => {
      const r = await client('owner').call<{ data?: string }>('getEdoc', { docid: itemForA });
      expect(r.ErrorCode).toBe('0');
    });
  });

  describe('the SOAP bridge', () => {
    const soapClient = async (username: string, password: string | null) => {
      const c = await soap.createClientAsync(`${bus.httpBase()}/soap/edoc?wsdl`, {
        endpoint: `${bus.httpBase()}/soap/edoc`,
      });
      if (password !== null)
        c.setSecurity(
          new soap.WSSecurity(username, password, { passwordType: 'PasswordText', hasTimeStamp: false }),
        );
      const methods = c as unknown as Record<string, (a: object) => Promise<[Record<string, unknown>]>>;
      type Fault = {
        root?: { Envelope?: { Body?: { Fault?: { detail?: { EdocFault?: Record<string, string> } } } } };
      };
      return (operation: string, args: object) =>
        methods[`${operation}Async`]!.call(c, args)
          .then(([r]) => ({ ok: true as const, reply: r, fault: undefined }))
          .catch((error: Fault) => ({
            ok: false as const,
            reply: undefined,
            fault: error.root?.Envelope?.Body?.Fault?.detail?.EdocFault,
          }));
    };

    it.each<[Actor, string | null, string]>([
      ['other endpoint', B, '21'],
      ['wrong secret', A, '15'],
      ['anonymous', null, '15'],
    ])('%s: cannot fetch, settle or track A’s things (fault %s)', async (actor, user, code) => {
      const before = await state();
      const call = await soapClient(
        user ?? A,
        actor === 'other endpoint' ? b.secret : actor === 'wrong secret' ? 'not-the-secret' : null,
      );
      for (const [op, args] of [
        ['GetEdoc', { DocId: itemForA }],
        ['UpdateStatus', { DocId: itemForA, Status: 'done' }],
      ] as const) {
        const r = await call(op, args);
        expect(r.ok).toBe(false);
        expect(r.ok ? null : r.fault?.ErrorCode).toBe(code);
      }
      const tracked = await call('GetSentEdocList', {});
      if (code === '15') expect(tracked.ok).toBe(false);
      else expect(JSON.stringify(tracked.ok ? tracked.reply : {})).not.toContain(sentByA);
      expect(await state()).toBe(before);
    });
  });

  describe('the REST API', () => {
    const api = (path: string, token: string | null, init: RequestInit = {}) =>
      fetch(`${bus.httpBase()}/api/v1${path}`, {
        ...init,
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.headers ?? {}) },
      });

    it.each<[Actor, number]>([
      ['other endpoint', 404],
      ['wrong secret', 401],
      ['anonymous', 401],
    ])('%s: cannot list, fetch, acknowledge or trace A’s things (HTTP %s)', async (actor, status) => {
      const before = await state();
      const token = actor === 'other endpoint' ? b.token : actor === 'wrong secret' ? `${a.token}x` : null;
      const listed = await api('/inbox', token);
      if (status === 401) expect(listed.status).toBe(401);
      else expect(await listed.text()).not.toContain(itemForA);
      expect((await api(`/inbox/${itemForA}`, token)).status).toBe(status);
      expect(
        (await api(`/inbox/${itemForA}/ack`, token, { method: 'POST', body: '{"outcome":"done"}' })).status,
      ).toBe(status);
      expect((await api(`/documents/${sentByA}/trace`, token)).status).toBe(status);
      expect(await state()).toBe(before);
    });

    it('other endpoint: cannot send as A', async () => {
      const pkg = await SigningPool.instance.sign(documentPackage(A, [G22]).xml, await bus.trust.signing(A));
      const r = await api('/documents', b.token, { method: 'POST', body: pkg });
      expect(r.status).toBe(422);
      expect(await r.json()).toMatchObject({ code: 'SENDER_MISMATCH' });
    });

    it('a console session is no bridge credential, and a bridge token opens no console', async () => {
      const page = await fetch(`${bus.httpBase()}/console/overview`, {
        headers: { authorization: `Bearer ${a.token}` },
        redirect: 'manual',
      });
      expect(page.status).toBe(303);
      expect(page.headers.get('location')).toBe('/console/login');
    });
  });

  describe('AMQP (the broker refuses)', () => {
    const attempt = async (fn: (ch: amqp.Channel, user: string) => Promise<unknown>) => {
      const url = bus.endpointUrl(G01);
      const conn = await amqp.connect(url);
      const ch = await conn.createChannel();
      const closed = new Promise<string>((r) => ch.on('error', (e: Error) => r(e.message)));
      try {
        await fn(ch, decodeURIComponent(new URL(url).username));
        return await Promise.race([
          closed,
          new Promise<string>((r) => setTimeout(() => r('accepted'), 1000)),
        ]);
      } catch (error) {
        return error instanceof Error ? error.message : String(error);
      } finally {
        await conn.close().catch(() => undefined);
      }
    };

    it.each<[string, (ch: amqp.Channel, user: string) => Promise<unknown>, RegExp]>([
      [
        'read another endpoint’s inbox',
        (ch) => ch.consume(`edoc.inbox.${G22}`, () => undefined),
        /ACCESS_REFUSED/,
      ],
      [
        'send as another endpoint (user_id)',
        async (ch) => ch.publish('edoc.submit', 'edoc', Buffer.from('<x/>'), { userId: bus.brokerUser(G22) }),
        /PRECONDITION_FAILED/,
      ],
      [
        'publish straight into another inbox',
        async (ch) => ch.publish('', `edoc.inbox.${G22}`, Buffer.from('<x/>')),
        /ACCESS_REFUSED/,
      ],
      ['declare a queue', (ch) => ch.assertQueue('mine', { durable: true }), /ACCESS_REFUSED/],
    ])('endpoint B: %s', async (_what, fn, refusal) => {
      expect(await attempt(fn)).toMatch(refusal);
    });

    it('anonymous and wrong password: no connection', async () => {
      const url = new URL(bus.endpointUrl(G01));
      url.password = 'not-the-password';
      await expect(amqp.connect(url.toString())).rejects.toThrow(/ACCESS_REFUSED|403/);
      // (amqplib fills in guest:guest for a URL without credentials; production disables guest)
      url.username = 'anonymous';
      url.password = '';
      await expect(amqp.connect(url.toString())).rejects.toThrow(/ACCESS_REFUSED|403/);
    });
  });

  describe('moving an endpoint between transports', () => {
    const move = (code: string, transport: 'amqp' | 'bridge') =>
      runCli(['endpoints', 'transport', code, transport, '--reason', 'chuyển kết nối'], cliEnv(bus));
    const lastChange = async (code: string) =>
      (
        await bus.query<{ reason: string }>(
          `SELECT reason FROM endpoint_change WHERE organ_id = $1 AND action = 'transport' ORDER BY id DESC LIMIT 1`,
          [code],
        )
      )[0]?.reason;

    it('takes the broker login away from an endpoint moved to the bridge; provisioning gives one back after it returns', async () => {
      const G02 = '000.00.00.G02';
      await bus.provision(G02);
      const login = bus.endpointUrl(G02);
      await (await amqp.connect(login)).close(); // works while it is on AMQP
      expect(await move(G02, 'bridge')).toMatchObject({ status: 0 });
      await expect(amqp.connect(login)).rejects.toThrow(/ACCESS_REFUSED|403/);
      expect(await lastChange(G02)).toMatch(/^amqp → bridge \(broker login revoked\): chuyển kết nối/);

      expect(await move(G02, 'amqp')).toMatchObject({ status: 0 });
      await expect(amqp.connect(login)).rejects.toThrow(/ACCESS_REFUSED|403/); // the old password stays dead
      await bus.provision(G02);
      await (await amqp.connect(bus.endpointUrl(G02))).close();
    });

    it('takes the bridge secret and token away from an endpoint moved to AMQP; provisioning gives new ones after it returns', async () => {
      const H20 = '000.00.00.H20';
      const issued = await bus.provisionBridge(H20);
      const axis = new AxisClient(bus.httpBase(), issued.systemId, issued.secret);
      const rest = () =>
        fetch(`${bus.httpBase()}/api/v1/inbox`, { headers: { authorization: `Bearer ${issued.token}` } });
      expect((await axis.call('getAgenciesList')).ErrorCode).toBe('0');
      expect((await rest()).status).toBe(200);

      expect(await move(H20, 'amqp')).toMatchObject({ status: 0 });
      expect((await axis.call('getAgenciesList')).ErrorCode).toBe('15');
      expect((await rest()).status).toBe(401);
      expect(await lastChange(H20)).toMatch(/^bridge → amqp \(bridge secret and token revoked\)/);

      const again = await bus.provisionBridge(H20); // moved back and provisioned: new credentials
      expect(
        (await new AxisClient(bus.httpBase(), again.systemId, again.secret).call('getAgenciesList'))
          .ErrorCode,
      ).toBe('0');
      expect((await axis.call('getAgenciesList')).ErrorCode).toBe('15');
    });
  });

  describe('the console', () => {
    const users = { auditor: 'audit-m', operator: 'oper-m', admin: 'admin-m' } as const;
    type Role = keyof typeof users | 'anonymous';
    beforeAll(async () => {
      for (const [role, user] of Object.entries(users)) {
        const r = await runCli(['users', 'add', user, '--role', role, '--password', PASSWORD], cliEnv(bus));
        expect(r.status).toBe(0);
      }
    });
    const session = async (role: Role) => {
      if (role === 'anonymous') return { cookie: '', csrf: '' };
      const cookie = await consoleLogin(bus.httpBase(), users[role], PASSWORD);
      const page = await (await fetch(`${bus.httpBase()}/console/endpoints`, { headers: { cookie } })).text();
      return { cookie, csrf: /name="csrf" value="([^"]+)"/.exec(page)?.[1] ?? '' };
    };
    const get = async (role: Role, path: string) => {
      const s = await session(role);
      return (
        await fetch(`${bus.httpBase()}/console${path}`, { headers: { cookie: s.cookie }, redirect: 'manual' })
      ).status;
    };
    const post = async (role: Role, path: string, form: Record<string, string>) => {
      const s = await session(role);
      return (
        await fetch(`${bus.httpBase()}/console${path}`, {
          method: 'POST',
          body: new URLSearchParams({ ...form, csrf: s.csrf }),
          headers: { cookie: s.cookie },
          redirect: 'manual',
        })
      ).status;
    };

    const pages = ['/overview', '/deliveries', '/endpoints', '/dead-letters', '/audit'];
    it.each<[Role, number[], number]>([
      ['anonymous', [303, 303, 303, 303, 303], 303],
      ['auditor', [200, 200, 200, 200, 200], 200],
      ['operator', [200, 200, 200, 200, 403], 403],
      ['admin', [200, 200, 200, 200, 200], 200],
    ])('%s: pages %j, audit export %s', async (role, expected, exportStatus) => {
      const statuses = [];
      for (const path of pages) statuses.push(await get(role, path));
      statuses.push(await get(role, `/documents/${itemForA}`));
      expect(statuses).toEqual([...expected, role === 'anonymous' ? 303 : 200]);
      const from = new Date(Date.now() - 3_600_000).toISOString().slice(0, 16);
      const to = new Date(Date.now() + 3_600_000).toISOString().slice(0, 16);
      expect(await get(role, `/audit/export?from=${from}&to=${to}`)).toBe(exportStatus);
    });

    it.each<[Role, number]>([
      ['anonymous', 303],
      ['auditor', 403],
      ['operator', 403],
    ])('%s: cannot lock an endpoint (HTTP %s), nothing changes', async (role, status) => {
      expect(await post(role, `/endpoints/${B}/status`, { action: 'lock', reason: 'matrix' })).toBe(status);
      const [endpoint] = await bus.query<{ status: string }>(
        `SELECT status FROM endpoint WHERE organ_id = $1`,
        [B],
      );
      expect(endpoint!.status).toBe('active');
    });

    it.each<[Role, number]>([
      ['anonymous', 303],
      ['auditor', 403],
      ['operator', 403],
    ])('%s: cannot change a signature policy (HTTP %s), nothing changes', async (role, status) => {
      expect(
        await post(role, `/endpoints/${B}/policy`, { policy: 'transition-unsigned', reason: 'matrix' }),
      ).toBe(status);
      const [endpoint] = await bus.query<{ signature_policy: string }>(
        `SELECT signature_policy FROM endpoint WHERE organ_id = $1`,
        [B],
      );
      expect(endpoint!.signature_policy).toBe('strict');
    });

    it.each<[Role, number]>([
      ['anonymous', 303],
      ['auditor', 403],
    ])('%s: cannot redeliver a dead letter (HTTP %s)', async (role, status) => {
      expect(
        await post(role, `/dead-letters/00000000-0000-0000-0000-000000000000/redeliver`, { reason: 'x' }),
      ).toBe(status);
    });

    it('admin: may lock (the positive control), and it is audited with who did it', async () => {
      expect(await post('admin', `/endpoints/${B}/status`, { action: 'lock', reason: 'matrix' })).toBe(303);
      const [endpoint] = await bus.query<{ status: string }>(
        `SELECT status FROM endpoint WHERE organ_id = $1`,
        [B],
      );
      expect(endpoint!.status).toBe('locked');
      expect(await post('admin', `/endpoints/${B}/policy`, { policy: 'legacy-sha1', reason: 'matrix' })).toBe(
        303,
      );
      const [policy] = await bus.query<{ signature_policy: string }>(
        `SELECT signature_policy FROM endpoint WHERE organ_id = $1`,
        [B],
      );
      expect(policy!.signature_policy).toBe('legacy-sha1');
    });

    it.each<[string, string, Record<string, string>]>([
      ['a policy that does not exist', B, { policy: 'anything-goes', reason: 'matrix' }],
      ['no reason', B, { policy: 'strict', reason: '' }],
      ['an unknown endpoint', '000.00.00.Z99', { policy: 'strict', reason: 'matrix' }],
    ])('admin: a hand-made policy form with %s gets a 400 page, nothing changes', async (_what, organ, f) => {
      expect(await post('admin', `/endpoints/${organ}/policy`, f)).toBe(400);
      const [policy] = await bus.query<{ signature_policy: string }>(
        `SELECT signature_policy FROM endpoint WHERE organ_id = $1`,
        [B],
      );
      expect(policy!.signature_policy).toBe('legacy-sha1');
    });
  });
});
