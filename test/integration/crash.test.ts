import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliEnv, spawnCli } from '../support/cli';
import { sleep, waitFor } from '../support/infrastructure';
import { documentPackage } from '../support/packages';
import { TestBus, type Inbox } from '../support/test-bus';

const G22 = '000.00.00.G22';
const H41 = '000.00.00.H41';
const H49 = '000.00.00.H49';

/**
 * The bus process dies (SIGKILL, no cleanup) at the worst moment: the document is committed to
 * Postgres but nothing has been published and the sender's message is not acknowledged. A bus
 * started afterwards must deliver every copy once, under the one bus id, and answer the sender.
 */
describe('a bus killed right after it committed a document', () => {
  let bus: TestBus;
  let g22: Inbox, h41: Inbox, h49: Inbox;
  let dir: string;

  beforeAll(async () => {
    bus = await TestBus.start();
    await bus.seed();
    [g22, h41, h49] = (await Promise.all([G22, H41, H49].map((o) => bus.inbox(o)))) as [Inbox, Inbox, Inbox];
    dir = mkdtempSync(join(tmpdir(), 'edoc-crash-'));
  });
  afterAll(async () => {
    await bus?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loses nothing and delivers nothing twice under two ids after a restart', async () => {
    await bus.stopApp();
    const child = spawnCli(['serve'], {
      ...cliEnv(bus),
      ...(await bus.trust.writeFiles(dir)),
      FAULT_INJECTION: 'kill-after-commit',
      PORT: '0',
      INSPECTION_THREADS: '1',
      OUTBOX_LEASE_SECONDS: '2',
    });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );

    // Over 1 MiB: stored by COPY, and read back by COPY for the sweep, once for both copies.
    const pkg = documentPackage(G22, [H41, H49], { attachmentBytes: 1536 * 1024 });
    const sent = await g22.client.send(pkg.xml);
    const signal = await Promise.race([exited, sleep(60_000).then(() => 'timeout' as const)]);
    if (signal === 'timeout') child.kill('SIGKILL');
    expect({ signal, stderr: stderr.includes('kill-after-commit') }).toEqual({
      signal: 'SIGKILL',
      stderr: true,
    });

    // Durable, not yet handed out: the package and its outbox rows are there, the inboxes are empty.
    const [stored] = await bus.query<{ id: string }>(`SELECT id FROM package WHERE document_id = $1`, [
      pkg.documentId,
    ]);
    expect(stored).toBeDefined();
    const pending = await bus.query<{ destination: string; message_type: string }>(
      `SELECT destination, message_type FROM outbox ORDER BY destination, message_type`,
    );
    expect(pending).toEqual([
      { destination: G22, message_type: 'receipt' },
      { destination: H41, message_type: 'edoc' },
      { destination: H49, message_type: 'edoc' },
    ]);
    await sleep(300);
    expect([h41.documents.length, h49.documents.length, g22.receipts.length]).toEqual([0, 0, 0]);

    // A new bus: the outbox sweep publishes what was committed; the unacknowledged submission comes
    // back from the broker and is recognised as the same document.
    await bus.restartApp();
    const receipt = await g22.receiptFor(sent.messageId, 20_000);
    expect({ outcome: receipt.outcome, busId: receipt.busId }).toEqual({
      outcome: 'accepted',
      busId: stored!.id,
    });
    for (const inbox of [h41, h49]) await waitFor(() => inbox.documents.length > 0, 'copy delivered');
    await waitFor(async () => {
      const [r] = await bus.query<{ n: number }>(`SELECT count(*)::int AS n FROM outbox`);
      return r!.n === 0;
    }, 'outbox drained');
    await sleep(1000); // time for any duplicate to show up

    expect(
      await bus.query(`SELECT count(*)::int AS n FROM package WHERE document_id = $1`, [pkg.documentId]),
    ).toEqual([{ n: 1 }]);
    for (const inbox of [h41, h49]) {
      expect(inbox.documents.map((d) => d.busId)).toEqual([stored!.id]);
      expect(Buffer.from(inbox.documents[0]!.body).equals(sent.bytes)).toBe(true);
    }
    const receipts = g22.receipts.filter((r) => r.correlationId === sent.messageId);
    expect(new Set(receipts.map((r) => `${r.outcome}:${r.busId}`))).toEqual(
      new Set([`accepted:${stored!.id}`]),
    );
    expect(
      await bus.query(`SELECT recipient, state FROM delivery WHERE package_id = $1 ORDER BY recipient`, [
        stored!.id,
      ]),
    ).toEqual([
      { recipient: H41, state: 'delivered' },
      { recipient: H49, state: 'delivered' },
    ]);
  }, 120_000);
});
