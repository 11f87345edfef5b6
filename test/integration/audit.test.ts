import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliEnv, runCli } from '../support/cli';
import { waitFor } from '../support/infrastructure';
import { documentPackage } from '../support/packages';
import { TestBus, type Inbox } from '../support/test-bus';

const G22 = '000.00.00.G22';
const H41 = '000.00.00.H41';
const H49 = '000.00.00.H49';

/**
 * The audit trail over the real database: what the bus records is sealed into a hash chain the
 * database will not let anyone change, exported by the CLI and verified offline — and a tampered
 * export is caught, naming the record.
 */
describe('the audit trail', () => {
  let bus: TestBus;
  let g22: Inbox, h41: Inbox, h49: Inbox;
  let dir: string;
  const from = new Date(Date.now() - 60_000).toISOString();

  beforeAll(async () => {
    bus = await TestBus.start({ audit: { sealIntervalMs: 100, checkpointIntervalMs: 200 } });
    await bus.seed();
    [g22, h41, h49] = (await Promise.all([G22, H41, H49].map((o) => bus.inbox(o)))) as [Inbox, Inbox, Inbox];
    dir = mkdtempSync(join(tmpdir(), 'edoc-audit-'));

    const doc = documentPackage(G22, [H41, H49]);
    const sent = await g22.client.send(doc.xml);
    expect((await g22.receiptFor(sent.messageId)).outcome).toBe('accepted');
    const copy = await waitFor(() => h41.documents.find((d) => d.documentId === doc.documentId), 'copy');
    await h41.client.sendStatus(copy, '01');
    await waitFor(() => g22.statuses.find((s) => s.statusCode === '01'), '01 relayed');
    const bad = await h49.client.send('<edXML:Envelope><broken', { sign: false });
    expect((await h49.receiptFor(bad.messageId)).outcome).toBe('rejected');
    const lock = await runCli(['endpoints', 'lock', '000.00.00.H14', '--reason', 'thử khóa'], cliEnv(bus));
    expect(lock.status).toBe(0);
    await waitFor(async () => {
      const [p] = await bus.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_pending`);
      const [c] = await bus.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_checkpoint`);
      return p!.n === 0 && c!.n > 0;
    }, 'everything sealed and signed');
  });
  afterAll(() => bus?.close());

  const exportTo = async (out: string, ...filters: string[]) => {
    const to = new Date(Date.now() + 60_000).toISOString();
    const r = await runCli(
      ['audit', 'export', '--from', from, '--to', to, '--out', out, ...filters],
      cliEnv(bus),
    );
    expect({ status: r.status, stderr: r.stderr }).toMatchObject({ status: 0 });
    return r.stdout;
  };
  const verify = (out: string) => runCli(['audit', 'verify', out], cliEnv(bus));

  it('records deliveries, statuses, receipts, refusals and endpoint changes in one chain', async () => {
    const kinds = (
      await bus.query<{ kind: string }>(`SELECT DISTINCT kind FROM audit_log ORDER BY kind`)
    ).map((r) => r.kind);
    expect(kinds).toEqual(
      expect.arrayContaining([
        'delivery.accepted',
        'delivery.queued',
        'delivery.status',
        'endpoint.lock',
        'package.refused',
        'receipt.accepted',
        'receipt.rejected',
      ]),
    );
    const seqs = (await bus.query<{ seq: string }>(`SELECT seq FROM audit_log ORDER BY seq`)).map((r) =>
      Number(r.seq),
    );
    expect(seqs).toEqual(seqs.map((_, i) => i + 1)); // gapless
  });

  it('refuses to change, delete or truncate sealed entries and checkpoints', async () => {
    for (const sql of [
      `UPDATE audit_log SET actor = 'someone' WHERE seq = 1`,
      `DELETE FROM audit_log WHERE seq = 1`,
      `TRUNCATE audit_log`,
      `DELETE FROM audit_checkpoint`,
    ])
      await expect(bus.query(sql)).rejects.toThrow(/append-only/);
  });

  it('exports a period and verifies it offline', async () => {
    const out = join(dir, 'all');
    expect(await exportTo(out)).toMatch(/exported \d+ entries, chain 1…\d+/);
    const ok = await verify(out);
    expect(ok.stdout).toMatch(
      /^OK: \d+ entries, \d+ chain links, [1-9]\d* signed checkpoints \(signed by .*CN=/,
    );
    expect(readFileSync(join(out, 'entries.csv'), 'utf8').split('\n')[0]).toBe(
      'seq,at,kind,parties,package_id,actor,detail,entry_digest,hash',
    );
  });

  it('exports one endpoint’s entries, still verifiable against the whole chain', async () => {
    const out = join(dir, 'h41');
    await exportTo(out, '--endpoint', 'H41');
    const entries = readFileSync(join(out, 'entries.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { parties: string[] });
    expect(entries.length).toBeGreaterThan(0);
    expect(entries.every((e) => e.parties.includes(H41))).toBe(true);
    expect((await verify(out)).status).toBe(0);
  });

  it('catches an altered entry and a removed chain record, naming them', async () => {
    const out = join(dir, 'tampered');
    await exportTo(out);
    const file = join(out, 'entries.jsonl');
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    const victim = JSON.parse(lines[1]!) as { seq: number; actor: string };
    writeFileSync(
      file,
      [lines[0], JSON.stringify({ ...victim, actor: 'not-the-bus' }), ...lines.slice(2)].join('\n') + '\n',
    );
    const altered = await verify(out);
    expect(altered.status).toBe(1);
    expect(altered.stderr).toContain(`FAILED: entry ${victim.seq} was altered`);

    const out2 = join(dir, 'gap');
    await exportTo(out2);
    const chain = join(out2, 'chain.jsonl');
    const links = readFileSync(chain, 'utf8').trim().split('\n');
    writeFileSync(chain, [...links.slice(0, 2), ...links.slice(3)].join('\n') + '\n');
    const gap = await verify(out2);
    expect(gap.status).toBe(1);
    expect(gap.stderr).toMatch(/FAILED: the chain segment has \d+ links, the manifest says \d+/);
    expect(gap.stderr).toMatch(/FAILED: chain record 3 is missing \(the next is 4\)/);
  });

  describe('tampering in the table itself, as a superuser who disables the guards', () => {
    const asSuperuser = async (sql: string) => {
      await bus.query(`ALTER TABLE audit_log DISABLE TRIGGER USER`);
      try {
        await bus.query(sql);
      } finally {
        await bus.query(`ALTER TABLE audit_log ENABLE TRIGGER USER`);
      }
    };
    // Each case edits a copy of the database's log, then restores it, so the cases stay independent.
    const withTamperedTable = async (sql: string, expected: RegExp) => {
      await bus.query(`CREATE TABLE IF NOT EXISTS audit_backup (LIKE audit_log)`);
      await bus.query(`TRUNCATE audit_backup`);
      await bus.query(`INSERT INTO audit_backup SELECT * FROM audit_log`);
      try {
        await asSuperuser(sql);
        const out = mkdtempSync(join(dir, 'table-'));
        await exportTo(out);
        const r = await verify(out);
        expect(r.status).toBe(1);
        expect(r.stderr).toMatch(expected);
      } finally {
        await asSuperuser(
          `DELETE FROM audit_log WHERE seq <= (SELECT max(seq) FROM audit_backup); INSERT INTO audit_log SELECT * FROM audit_backup`,
        );
      }
      expect((await verify(join(dir, 'all'))).status).toBe(0);
    };

    it('catches an entry altered in place', () =>
      withTamperedTable(
        `UPDATE audit_log SET actor = 'forged' WHERE seq = 2`,
        /FAILED: entry 2 was altered/,
      ));

    it('catches an entry altered with its digest recomputed', () =>
      withTamperedTable(
        `UPDATE audit_log SET detail = '{}'::jsonb, entry_digest = sha256('x') WHERE seq = 2`,
        /FAILED: chain record 2 was altered/,
      ));

    it('catches a deleted entry', () =>
      withTamperedTable(`DELETE FROM audit_log WHERE seq = 3`, /FAILED: chain record 3 is missing/));

    it('catches two entries swapped', () =>
      withTamperedTable(
        `UPDATE audit_log SET seq = CASE seq WHEN 2 THEN 3 ELSE 2 END WHERE seq IN (2, 3)`,
        /FAILED: chain record 2 was altered/,
      ));
  });
});
