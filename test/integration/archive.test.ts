import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { uuid7 } from '../../src/modules/shared/ids';
import { SigningPool } from '../../src/adapters/workers/signing-pool';
import { cliEnv, runCli } from '../support/cli';
import { waitFor } from '../support/infrastructure';
import { documentPackage } from '../support/packages';
import { TestBus, type Inbox } from '../support/test-bus';
import { consoleLogin } from '../../src/adapters/http/console/client/console-login';
import { AddConsoleUser } from '../../src/modules/console/use-cases/add-console-user.use-case';

const G22 = '000.00.00.G22'; // Văn phòng Chính phủ
const G09 = '000.00.00.G09';
const H41 = '000.00.00.H41'; // Nghệ An
const H29 = '000.00.00.H29';
const DAY = 86_400_000;
const PASSWORD = 'archive-operator-password';

/** `YYYY-MM` of the month `offset` months from now (UTC). */
function month(offset: number): string {
  const now = new Date();
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + offset, 1));
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

function monthStart(offset: number): Date {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + offset, 1));
}

/**
 * The archive on generated months: three past months of documents (two senders, copies answered,
 * statuses, a recall, a refused package, a refused bridge call) and the current one, carried by
 * the bus. `archive run` takes the oldest month to a signed set, verifies it from its files and
 * only then detaches it; a kill -9 while it writes, or after it wrote, leaves the month whole in
 * the database; a month with an unanswered copy stays; the audit chain still verifies.
 */
describe('the archive of old months', () => {
  const archiveDir = mkdtempSync(join(tmpdir(), 'edoc-archive-'));
  let bus: TestBus;
  let g22: Inbox;
  let env: Record<string, string>;
  const generated = new Map<string, string[]>();
  const bytesOf = new Map<string, Buffer>();
  const documentIdOf = new Map<string, string>();

  /** A month of records as the bus would have left them, written directly (the clock cannot be turned back). */
  async function generateMonth(offset: number, documents: number, answered = true): Promise<void> {
    const ids: string[] = [];
    const start = monthStart(offset).getTime() + 2 * DAY;
    for (let i = 0; i < documents; i++) {
      const at = new Date(start + i * 3_600_000);
      const sender = i % 2 === 0 ? G22 : G09;
      const recipients = [H41, H29];
      const unsigned = documentPackage(sender, recipients);
      const documentId = unsigned.documentId;
      // Signed as its sender's DMS signs it (the SDK): the bytes the bus would have stored.
      const xml = await SigningPool.instance.sign(unsigned.xml, await bus.trust.signing(sender));
      const id = uuid7(at.getTime());
      const recall = i === documents - 1 && ids.length > 0;
      await bus.query(
        `INSERT INTO package_register (package_id, kind, sender, document_id, business_doc_type, sha256)
         VALUES ($1, 'edoc', $2, $3, $4, sha256($5::bytea))`,
        [id, sender, documentId, recall ? 1 : 0, Buffer.from(xml)],
      );
      await bus.query(
        `INSERT INTO package (id, kind, sender, document_id, business_doc_type, related_package_id, sha256, size_bytes,
                              transport, subject, priority, received_at, accepted_at)
         VALUES ($1, 'edoc', $2, $3, $4, $5, sha256($6::bytea), length($6::bytea), 'amqp', $7, 1, $8, $8)`,
        [
          id,
          sender,
          documentId,
          recall ? 1 : 0,
          recall ? ids[0] : null,
          Buffer.from(xml),
          `Công văn ${i}`,
          at,
        ],
      );
      await bus.query(`INSERT INTO package_content (package_id, body) VALUES ($1, $2)`, [
        id,
        Buffer.from(xml),
      ]);
      bytesOf.set(id, Buffer.from(xml));
      documentIdOf.set(id, documentId);
      for (const [k, recipient] of recipients.entries()) {
        const state = answered || k === 0 ? 'completed' : 'queued';
        await bus.query(
          `INSERT INTO delivery (package_id, recipient, addressed_to, state, state_at, created_at, delivered_at, last_status_code)
           VALUES ($1, $2, $2, $3, $4, $4, $4, $5)`,
          [id, recipient, state, at, state === 'completed' ? '06' : null],
        );
        await bus.query(
          `INSERT INTO trace_event (package_id, recipient, event, status_code, source, at, state_before, state_after)
           VALUES ($1, $2, 'status', '06', 'amqp', $3, 'delivered', 'completed')`,
          [id, recipient, new Date(at.getTime() + 60_000)],
        );
      }
      await bus.query(
        `INSERT INTO receipt (id, recipient, package_id, outcome, body, issued_at) VALUES ($1, $2, $3, 'accepted', $4, $5)`,
        [uuid7(at.getTime() + 1), sender, id, Buffer.from(`<receipt busId="${id}"/>`), at],
      );
      ids.push(id);
    }
    const refused = uuid7(start + 5 * DAY);
    await bus.query(
      `INSERT INTO quarantine (id, received_at, transport, authenticated_sender, reason_code, reason_text, details, sha256, size_bytes, body, body_truncated)
       VALUES ($1, $2, 'amqp', $3, 'XML_MALFORMED', 'not well-formed', '{}', sha256('<x'::bytea), 2, '<x', false)`,
      [refused, new Date(start + 5 * DAY), G22],
    );
    await bus.query(
      `INSERT INTO receipt (id, recipient, quarantine_id, outcome, reason_code, body, issued_at) VALUES ($1, $2, $3, 'rejected', 'XML_MALFORMED', '\\x00', $4)`,
      [uuid7(start + 5 * DAY + 1), G22, refused, new Date(start + 5 * DAY)],
    );
    await bus.query(
      `INSERT INTO bridge_refusal (at, transport, operation, claimed, code, reason) VALUES ($1, 'axis', 'getList', $2, 'AUTH', 'wrong secret')`,
      [new Date(start + 6 * DAY), H41],
    );
    generated.set(month(offset), ids);
  }

  const attached = async (m: string) =>
    (
      await bus.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_inherits
          WHERE inhrelid::regclass::text LIKE '%' || $1 AND inhrelid::regclass::text NOT LIKE 'audit_log%'`,
        [m.replace('-', '_')],
      )
    )[0]!.n;
  const rowsOf = async (m: string) =>
    (
      await bus.query<{ n: number }>(`SELECT count(*)::int AS n FROM package WHERE id = ANY($1::uuid[])`, [
        generated.get(m),
      ])
    )[0]!.n;
  /** An audit export from `from` to tomorrow, by the CLI, verifies offline. */
  async function expectAuditChainVerifiesFrom(from: Date): Promise<void> {
    const out = mkdtempSync(join(tmpdir(), 'edoc-archive-audit-'));
    try {
      const to = new Date(Date.now() + DAY).toISOString();
      const exported = await runCli(
        ['audit', 'export', '--from', from.toISOString(), '--to', to, '--out', out],
        env,
      );
      expect({ status: exported.status, stderr: exported.stderr }).toEqual({ status: 0, stderr: '' });
      expect((await runCli(['audit', 'verify', out], env)).stdout).toMatch(/^OK/);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }

  const archive = (args: string[], extra: Record<string, string> = {}) =>
    runCli(['archive', ...args], { ...env, ...extra }, 120_000);

  beforeAll(async () => {
    bus = await TestBus.start({ audit: { sealIntervalMs: 100, checkpointIntervalMs: 200 } });
    await bus.seed();
    g22 = await bus.inbox(G22);
    await bus.query(`SELECT edoc_ensure_months(($1 || '-01')::date, 3)`, [month(-3)]);
    await bus.query(`SELECT edoc_ensure_months(($1 || '-01')::date, 1)`, [month(-13)]);
    await generateMonth(-13, 3); // past RETENTION_TOTAL_YEARS=1 once archived: purged
    await generateMonth(-3, 6);
    await generateMonth(-2, 5);
    await generateMonth(-1, 4, false); // one copy in each document still waiting
    const keys = mkdtempSync(join(archiveDir, '..', 'edoc-archive-keys-'));
    env = {
      ...cliEnv(bus),
      ...(await bus.trust.writeFiles(keys)),
      ARCHIVE_DIR: archiveDir,
      RETENTION_HOT_MONTHS: '1',
      RETENTION_TOTAL_YEARS: '1',
    };
    await waitFor(
      async () =>
        (await bus.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_pending'))[0]!.n === 0,
      'every audit entry sealed',
    );
  }, 180_000);

  afterAll(async () => {
    await bus?.close();
    rmSync(archiveDir, { recursive: true, force: true });
  });

  it('writes the oldest month as a signed set, verifies it from its files, then detaches the month', async () => {
    const live = documentPackage(G22, [H41]);
    const liveReceipt = await g22.receiptFor((await g22.client.send(live.xml)).messageId);
    expect(liveReceipt.outcome).toBe('accepted');

    const run = await archive(['run', '--before', month(-2)]);
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
    expect(run.stdout).toMatch(new RegExp(`${month(-13)}\\s+archived\\s+3`));
    expect(run.stdout).toMatch(new RegExp(`${month(-3)}\\s+archived\\s+6`));
    expect(run.stdout).not.toContain(month(-2));

    const set = join(archiveDir, month(-3));
    const verified = await archive(['verify', set]);
    expect(verified).toMatchObject({ status: 0 });
    expect(verified.stdout).toMatch(new RegExp(`^OK: ${month(-3)}: 6 packages`));
    const bodies = readdirSync(join(set, 'packages'));
    expect(bodies).toHaveLength(6);
    const packageLines = gunzipSync(readFileSync(join(set, 'records', 'packages.jsonl.gz'))).toString();
    for (const id of generated.get(month(-3))!) expect(packageLines).toContain(id);

    // The month is gone from the database; the register says where it went.
    expect(await attached(month(-3))).toBe(0);
    expect(await rowsOf(month(-3))).toBe(0);
    const register = await bus.query<{ archived_in: string }>(
      `SELECT DISTINCT a.month AS archived_in FROM package_register r
         JOIN archived_month a ON a.month = edoc_month_key(r.package_id)
        WHERE r.package_id = ANY($1::uuid[])`,
      [generated.get(month(-3))],
    );
    expect(register).toEqual([{ archived_in: month(-3) }]);
    // The other months and the live document are as they were.
    expect(await rowsOf(month(-2))).toBe(5);
    expect(await attached(month(-2))).toBe(7);
    const [copy] = await bus.query(`SELECT state FROM delivery WHERE package_id = $1`, [liveReceipt.busId]);
    expect(copy).toBeDefined();

    // Its sender asking for its trace learns where it is (the register stays in the database).
    const first = generated.get(month(-3))![0]!; // sent by G22
    await expect(g22.client.trace({ documentId: documentIdOf.get(first)! })).rejects.toMatchObject({
      name: 'ArchivedDocumentError',
      archivedIn: month(-3),
      busId: first,
    });

    // Sent again, it is still a duplicate of the archived original: the register outlives its month.
    const resent = await g22.receiptFor((await g22.client.send(bytesOf.get(first)!.toString())).messageId);
    expect(resent).toMatchObject({ reason: undefined, outcome: 'duplicate', busId: first });
    const filedIn = async (busId: string) =>
      (
        await bus.query<{ part: string }>(
          `SELECT tableoid::regclass::text AS part FROM receipt WHERE package_id = $1 AND outcome = 'duplicate'`,
          [busId],
        )
      ).map((r) => r.part);
    // Its month has left: the receipt is filed now. A resend of a document still in the database
    // gets a receipt filed in the document's month, with the rest of its evidence.
    expect(await filedIn(first)).toEqual([`receipt_${month(0).replace('-', '_')}`]);
    const kept = generated.get(month(-2))![0]!;
    const again = await g22.receiptFor((await g22.client.send(bytesOf.get(kept)!.toString())).messageId);
    expect(again).toMatchObject({ outcome: 'duplicate', busId: kept });
    expect(await filedIn(kept)).toEqual([`receipt_${month(-2).replace('-', '_')}`]);

    // One document's evidence for an auditor, from the set alone, verifiable offline.
    const evidence = join(archiveDir, '..', `evidence-${first}`);
    const exportedDocument = await archive(['export', '--document', first, '--out', evidence]);
    expect({ status: exportedDocument.status, stderr: exportedDocument.stderr }).toEqual({
      status: 0,
      stderr: '',
    });
    expect(readFileSync(join(evidence, 'package.xml')).equals(bytesOf.get(first)!)).toBe(true);
    expect(readFileSync(join(evidence, 'deliveries.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
    const evidenceVerified = await runCli(['audit', 'verify', join(evidence, 'audit')], env);
    expect(evidenceVerified).toMatchObject({ status: 0 });
    expect(evidenceVerified.stdout).toMatch(/^OK: [1-9]\d* entries/);
    rmSync(evidence, { recursive: true, force: true });

    // The manifest's digest is in the audit chain, and the chain across the archived month verifies.
    const [listed] = await bus.query<{ manifest_sha256: string }>(
      `SELECT manifest_sha256 FROM archived_month WHERE month = $1`,
      [month(-3)],
    );
    await waitFor(async () => {
      const rows = await bus.query<{ detail: { manifestSha256: string } }>(
        `SELECT detail FROM audit_log WHERE kind = 'archive.written'`,
      );
      return rows.some((r) => r.detail.manifestSha256 === listed!.manifest_sha256);
    }, 'the archive entry sealed in the chain');
    await expectAuditChainVerifiesFrom(monthStart(-3));
  }, 180_000);

  it('tells a province on the REST bridge and an operator in the console where an archived document is', async () => {
    const m = month(-3);
    const byG09 = generated.get(m)![1]!; // odd documents are G09's
    const { token } = await bus.provisionBridge(G09);
    const trace = await fetch(`${bus.httpBase()}/api/v1/documents/${byG09}/trace`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(trace.status).toBe(410);
    // Who it went to is answered from the index, without a restore.
    expect(await trace.json()).toMatchObject({ code: 'ARCHIVED', archivedIn: m, recipients: [H29, H41] });
    // Another endpoint learns nothing about it: not its document.
    const { token: h41 } = await bus.provisionBridge(H41);
    const foreign = await fetch(`${bus.httpBase()}/api/v1/documents/${byG09}/trace`, {
      headers: { authorization: `Bearer ${h41}` },
    });
    expect(foreign.status).toBe(404);

    await bus.get(AddConsoleUser).execute({ username: 'archive-ops', password: PASSWORD, role: 'operator' });
    const cookie = await consoleLogin(bus.httpBase(), 'archive-ops', PASSWORD);
    expect(cookie).not.toBe('');
    const page = await fetch(`${bus.httpBase()}/console/documents/${byG09}`, { headers: { cookie } });
    expect(page.status).toBe(410);
    const note = `data-archived-in="${m}"`;
    const html = await page.text();
    expect(html).toContain(note);
    expect(html).toContain(`edoc-bus archive restore ${m}`);
    expect(html).toContain(`${G09} → ${H29}, ${H41}`);
    const search = await fetch(
      `${bus.httpBase()}/console/deliveries?documentId=${encodeURIComponent(documentIdOf.get(byG09)!)}`,
      { headers: { cookie } },
    );
    expect(search.status).toBe(200);
    expect(await search.text()).toContain(note);
    // A document of a month still in the database has no such note.
    const hot = generated.get(month(-2))![0]!;
    const hotPage = await fetch(`${bus.httpBase()}/console/documents/${hot}`, { headers: { cookie } });
    expect(hotPage.status).toBe(200);
    expect(await hotPage.text()).not.toContain('data-archived-in');
  }, 60_000);

  it('restores an archived month byte for byte and read-only, and releases it again', async () => {
    const m = month(-3);
    const restored = await archive(['restore', m]);
    expect({ status: restored.status, stderr: restored.stderr }).toEqual({ status: 0, stderr: '' });
    expect(restored.stdout).toContain(`restored ${m}: 6 packages`);
    expect(await rowsOf(m)).toBe(6);
    for (const id of generated.get(m)!) {
      const [content] = await bus.query<{ body: Buffer }>(
        `SELECT body FROM package_content WHERE package_id = $1`,
        [id],
      );
      expect(content!.body.equals(bytesOf.get(id)!)).toBe(true);
    }
    const [copies] = await bus.query<{ n: number; completed: number }>(
      `SELECT count(*)::int AS n, count(*) FILTER (WHERE state = 'completed')::int AS completed
         FROM delivery WHERE package_id = ANY($1::uuid[])`,
      [generated.get(m)],
    );
    expect(copies).toEqual({ n: 12, completed: 12 });
    await expect(
      bus.query(`UPDATE delivery SET state = 'queued' WHERE package_id = $1`, [generated.get(m)![0]]),
    ).rejects.toThrow(/restored from the archive: it is read-only/);
    // A restored month is not archived again, and is not restored twice.
    expect((await archive(['run', '--before', month(-2)])).stdout).not.toContain(m);
    expect((await archive(['restore', m])).stderr).toContain(`${m} is already restored`);

    const released = await archive(['release', m]);
    expect(released).toMatchObject({ status: 0 });
    expect(await rowsOf(m)).toBe(0);
    expect(await attached(m)).toBe(0);
    expect((await archive(['verify', join(archiveDir, m)])).status).toBe(0);
  }, 180_000);

  it('refuses a set in which one byte changed', async () => {
    const copy = mkdtempSync(join(tmpdir(), 'edoc-archive-copy-'));
    try {
      for (const target of ['packages', 'records', 'audit']) {
        rmSync(copy, { recursive: true, force: true });
        cpSync(join(archiveDir, month(-3)), copy, { recursive: true });
        const dir = join(copy, target);
        // The package records are the file verify also decompresses and reads line by line.
        const file = join(
          dir,
          target === 'records'
            ? 'packages.jsonl.gz'
            : readdirSync(dir).find((f) => f.endsWith('.jsonl') || target === 'packages')!,
        );
        const bytes = readFileSync(file);
        const at = Math.floor(bytes.length / 2);
        bytes[at] = bytes[at]! ^ 0x01;
        writeFileSync(file, bytes);
        const verified = await archive(['verify', copy]);
        expect({ target, status: verified.status }).toEqual({ target, status: 1 });
        expect(verified.stderr).toMatch(/FAILED: .*altered/);
      }
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  }, 120_000);

  it('keeps a month whole in the database when killed while writing it or before detaching it', async () => {
    const before = await rowsOf(month(-2));
    const mid = await archive(['run', '--before', month(-1)], { FAULT_INJECTION: 'kill-archive-mid-write' });
    expect(mid.signal).toBe('SIGKILL');
    expect(existsSync(join(archiveDir, month(-2)))).toBe(false);
    expect(await rowsOf(month(-2))).toBe(before);
    expect(await attached(month(-2))).toBe(7);

    const late = await archive(['run', '--before', month(-1)], {
      FAULT_INJECTION: 'kill-archive-before-retire',
    });
    expect(late.signal).toBe('SIGKILL');
    expect((await archive(['verify', join(archiveDir, month(-2))])).status).toBe(0);
    expect(await rowsOf(month(-2))).toBe(before);
    expect(await attached(month(-2))).toBe(7);

    const again = await archive(['run', '--before', month(-1)]);
    expect(again).toMatchObject({ status: 0 });
    expect(again.stdout).toMatch(new RegExp(`${month(-2)}\\s+archived\\s+5`));
    expect(await rowsOf(month(-2))).toBe(0);
    expect(readdirSync(archiveDir).filter((f) => f.endsWith('.partial'))).toEqual([]);
    expect((await archive(['verify', join(archiveDir, month(-2))])).status).toBe(0);
  }, 240_000);

  it('leaves a month with an unanswered copy in the database, and says why', async () => {
    const run = await archive(['run']);
    expect(run).toMatchObject({ status: 0 });
    expect(run.stdout).toMatch(new RegExp(`${month(-1)}\\s+skipped.*4 copies or notices still waiting`));
    expect(await rowsOf(month(-1))).toBe(4);
  }, 120_000);

  it('purges the sets past RETENTION_TOTAL_YEARS, and the audit chain still verifies', async () => {
    const old = month(-13);
    const purge = await archive(['purge']);
    expect({ status: purge.status, stderr: purge.stderr }).toEqual({ status: 0, stderr: '' });
    expect(purge.stdout).toMatch(new RegExp(`${old}\\s+3\\s+3`));
    expect(purge.stdout).not.toContain(month(-3));
    expect(existsSync(join(archiveDir, old))).toBe(false);
    expect((await archive(['verify', join(archiveDir, month(-3))])).status).toBe(0);
    const keys = await bus.query(`SELECT 1 FROM package_register WHERE edoc_month_key(package_id) = $1`, [
      old,
    ]);
    expect(keys).toEqual([]);
    expect((await archive(['list'])).stdout).not.toContain(old);
    await waitFor(async () => {
      const rows = await bus.query<{ detail: { month: string } }>(
        `SELECT detail FROM audit_log WHERE kind = 'archive.purged'`,
      );
      return rows.some((r) => r.detail.month === old);
    }, 'the purge entry sealed in the chain');
    await expectAuditChainVerifiesFrom(monthStart(-13));
    // Nothing more to purge.
    expect((await archive(['purge'])).stdout).toContain('nothing to purge');
  }, 120_000);
});
