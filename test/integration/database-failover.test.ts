import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { documentPackage } from '../support/packages';
import { waitFor } from '../support/infrastructure';
import { TestBus, type Inbox } from '../support/test-bus';

const run = promisify(execFile);
const pair = resolve(__dirname, '../../scripts/cluster/postgres-pair.sh');
const G22 = '000.00.00.G22'; // Văn phòng Chính phủ
const H41 = '000.00.00.H41'; // Nghệ An

/**
 * The bus on a PostgreSQL primary with a synchronous streaming standby (scripts/cluster/
 * postgres-pair.sh, ports 5451-5452): DATABASE_URL names both hosts, the primary dies, the standby
 * is promoted, and the same bus process goes on — with every document it had acknowledged; then the
 * old primary is rebuilt as a standby and the roles are switched back by a planned switchover.
 */
describe('a bus on a PostgreSQL primary and its standby', () => {
  const dir = mkdtempSync(join(tmpdir(), 'edoc-pg-pair-'));
  const script = (...args: string[]) =>
    run('sh', [pair, args[0]!, dir, ...args.slice(1)], { timeout: 120_000 });
  let bus: TestBus;
  let g22: Inbox, h41: Inbox;

  beforeAll(async () => {
    await script('start', '5451');
    bus = await TestBus.start(
      {},
      { databaseUrl: 'postgres://postgres@127.0.0.1:5451,127.0.0.1:5452/postgres' },
    );
    await bus.seed();
    [g22, h41] = (await Promise.all([G22, H41].map((o) => bus.inbox(o)))) as [Inbox, Inbox];
  }, 120_000);

  afterAll(async () => {
    await bus?.close();
    await script('stop').catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  async function carried(): Promise<string> {
    const { xml } = documentPackage(G22, [H41]);
    const { messageId } = await g22.client.send(xml);
    const receipt = await g22.receiptFor(messageId, 60_000);
    expect(receipt.outcome).toBe('accepted');
    await waitFor(() => h41.documents.find((d) => d.busId === receipt.busId), 'the copy in H41', 60_000);
    return receipt.busId!;
  }

  it('follows the promoted standby and has lost no acknowledged document', async () => {
    const before = [await carried(), await carried(), await carried()];
    await script('kill-primary');
    await script('promote');
    const after = await carried();
    // Read on the promoted standby, the only server left.
    const stored = await bus.query<{ id: string }>(`SELECT id FROM package WHERE id = ANY($1)`, [
      [...before, after],
    ]);
    expect(stored.map((r) => r.id).sort()).toEqual([...before, after].sort());
    const [recovery] = await bus.query<{ standby: boolean }>('SELECT pg_is_in_recovery() AS standby');
    expect(recovery!.standby).toBe(false);
    await waitFor(
      async () => {
        const [pending] = await bus.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_pending');
        return pending!.n === 0;
      },
      'every audit entry sealed on the new primary',
      60_000,
    );
  }, 180_000);

  it('takes the old primary back as a standby, then switches roles back without losing a document', async () => {
    // After the failover above the server on 5452 is the primary, alone.
    await script('rejoin');
    const whileRejoined = await carried();
    await script('switchover');
    const afterSwitchover = await carried();
    const [primary] = await bus.query<{ port: number }>(`SELECT current_setting('port')::int AS port`);
    expect(primary!.port).toBe(5451);
    const stored = await bus.query<{ id: string }>(`SELECT id FROM package WHERE id = ANY($1)`, [
      [whileRejoined, afterSwitchover],
    ]);
    expect(stored).toHaveLength(2);
    // The server that was primary a moment ago streams as the synchronous standby.
    const [standby] = await bus.query<{ state: string }>(
      `SELECT sync_state AS state FROM pg_stat_replication WHERE application_name = 'edoc_standby'`,
    );
    expect(standby?.state).toBe('sync');
  }, 180_000);
});
