import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { cliEnv, spawnCli } from '../support/cli';
import { sleep, testServices, waitFor } from '../support/infrastructure';
import { documentPackage } from '../support/packages';
import { TestBus, type Inbox } from '../support/test-bus';

const G22 = '000.00.00.G22';
const H41 = '000.00.00.H41';
const H49 = '000.00.00.H49';

/**
 * Operations: the readiness probe says "not ready" while the database or the broker cannot be
 * reached and "ready" again once they can; SIGTERM stops consuming, lets in-flight packages
 * finish, and exits cleanly — nothing lost, nothing delivered twice under two ids.
 */
describe('readiness and graceful shutdown', () => {
  let bus: TestBus;
  let g22: Inbox, h41: Inbox, h49: Inbox;
  let dir: string;

  beforeAll(async () => {
    bus = await TestBus.start();
    await bus.seed();
    [g22, h41, h49] = (await Promise.all([G22, H41, H49].map((o) => bus.inbox(o)))) as [Inbox, Inbox, Inbox];
    dir = mkdtempSync(join(tmpdir(), 'edoc-shutdown-'));
  });
  afterAll(async () => {
    await bus?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const ready = async () => {
    const r = await fetch(`${bus.httpBase()}/health/ready`);
    return { status: r.status, body: JSON.stringify(await r.json()) };
  };

  it('goes unready while its database refuses connections, and ready again after', async () => {
    expect((await ready()).status).toBe(200);
    const database = new URL(bus.config.databaseUrl).pathname.slice(1);
    const admin = new Client({ connectionString: testServices().databaseUrl });
    await admin.connect();
    try {
      await admin.query(`ALTER DATABASE "${database}" ALLOW_CONNECTIONS false`);
      await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, [
        database,
      ]);
      const down = await waitFor(async () => {
        const r = await ready();
        return r.status === 503 ? r : undefined;
      }, 'readiness 503');
      expect(down.body).toMatch(/"database":"down/);
    } finally {
      await admin.query(`ALTER DATABASE "${database}" ALLOW_CONNECTIONS true`);
      await admin.end();
    }
    await waitFor(async () => (await ready()).status === 200, 'ready again');
    // …and it works: a document goes through.
    const pkg = documentPackage(G22, [H41]);
    expect((await g22.receiptFor((await g22.client.send(pkg.xml)).messageId, 30_000)).outcome).toBe(
      'accepted',
    );
  });

  it('goes unready while the broker refuses it, and ready again after', async () => {
    const management = new URL(bus.config.managementUrl);
    const auth = `Basic ${Buffer.from(`${decodeURIComponent(management.username)}:${decodeURIComponent(management.password)}`).toString('base64')}`;
    management.username = '';
    management.password = '';
    const api = (path: string, init: RequestInit = {}) =>
      fetch(new URL(`/api${path}`, management), {
        ...init,
        headers: { authorization: auth, 'content-type': 'application/json' },
      });
    const busUser = decodeURIComponent(new URL(bus.config.amqpUrl).username);
    const vhost = encodeURIComponent(bus.vhost);
    // Take the bus's right to its vhost away and drop its connections: it cannot reconnect.
    expect((await api(`/permissions/${vhost}/${busUser}`, { method: 'DELETE' })).ok).toBe(true);
    try {
      // The management API lists connections with a few seconds' delay (statistics interval).
      const connections = await waitFor(
        async () => {
          const all = (await (await api(`/vhosts/${vhost}/connections`)).json()) as Array<{
            name: string;
            user: string;
          }>;
          const ours = all.filter((c) => c.user === busUser);
          return ours.length >= 2 ? ours : undefined;
        },
        'the bus connections listed',
        20_000,
      );
      for (const c of connections)
        await api(`/connections/${encodeURIComponent(c.name)}`, { method: 'DELETE' });
      const down = await waitFor(async () => {
        const r = await ready();
        return r.status === 503 ? r : undefined;
      }, 'readiness 503');
      expect(down.body).toMatch(/"broker":"(down|reconnecting)/);
    } finally {
      await api(`/permissions/${vhost}/${busUser}`, {
        method: 'PUT',
        body: JSON.stringify({ configure: '.*', write: '.*', read: '.*' }),
      });
    }
    await waitFor(async () => (await ready()).status === 200, 'ready again', 60_000);
    const pkg = documentPackage(G22, [H41]);
    expect((await g22.receiptFor((await g22.client.send(pkg.xml)).messageId, 30_000)).outcome).toBe(
      'accepted',
    );
  });

  it('on SIGTERM stops consuming, finishes what it holds and exits 0; nothing lost or doubled', async () => {
    await bus.stopApp();
    const child = spawnCli(['serve'], {
      ...cliEnv(bus),
      ...(await bus.trust.writeFiles(dir)),
      PORT: '0',
      INGRESS_PREFETCH: '16',
    });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

    const receiptsBefore = g22.receipts.length;
    const packages = Array.from({ length: 120 }, () => documentPackage(G22, [H41, H49]));
    const sent = await Promise.all(packages.map((p) => g22.client.send(p.xml)));
    // Let it get going, then ask it to stop while packages are in flight.
    await waitFor(() => g22.receipts.length > receiptsBefore + 10, 'the serving bus at work', 60_000);
    const t0 = Date.now();
    child.kill('SIGTERM');
    const code = await Promise.race([exited, sleep(30_000).then(() => 'timeout' as const)]);
    if (code === 'timeout') child.kill('SIGKILL');
    expect({ code, within30s: Date.now() - t0 < 30_000 }).toEqual({ code: 0, within30s: true });
    expect(stderr).not.toMatch(/ERROR/);

    // Whatever it had not taken is still queued; the next bus finishes the job, once per copy.
    await bus.restartApp();
    const ids = new Set(sent.map((s) => s.messageId));
    await waitFor(
      () =>
        new Set(g22.receipts.filter((r) => ids.has(r.correlationId ?? '')).map((r) => r.correlationId))
          .size === 120,
      'every receipt',
      60_000,
    );
    expect(
      g22.receipts.filter((r) => ids.has(r.correlationId ?? '')).every((r) => r.outcome === 'accepted'),
    ).toBe(true);
    const docs = new Set(packages.map((p) => p.documentId));
    for (const inbox of [h41, h49]) {
      await waitFor(
        () =>
          new Set(inbox.documents.filter((d) => docs.has(d.documentId)).map((d) => d.documentId)).size ===
          120,
        'every copy',
        60_000,
      );
      const busIds = new Map<string, Set<string>>();
      for (const d of inbox.documents.filter((x) => docs.has(x.documentId)))
        busIds.set(d.documentId, (busIds.get(d.documentId) ?? new Set()).add(d.busId));
      expect([...busIds.values()].filter((s) => s.size > 1)).toEqual([]);
    }
    const [stored] = await bus.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM package WHERE document_id = ANY($1)`,
      [[...docs]],
    );
    expect(stored!.n).toBe(120);
  });
});
