import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { cliEnv, runCli } from '../support/cli';
import { waitFor } from '../support/infrastructure';
import { documentPackage } from '../support/packages';
import { TestBus, type Inbox } from '../support/test-bus';

const G22 = '000.00.00.G22';
const H41 = '000.00.00.H41';
const H20 = '000.00.00.H20'; // its DMS fails until fixed: a dead letter to redeliver
const H14 = '000.00.00.H14'; // locked by the admin
const H49 = '000.00.00.H49'; // the auditor tries to lock it
const PASSWORD = 'mật-khẩu-thử-nghiệm-2026';
const SHOTS = resolve(__dirname, '../../test-output/console');

/**
 * The operator console in real headless Chromium: each role logs in, searches the delivery log,
 * opens a timeline, locks an endpoint (admin) or is refused (auditor), redelivers a dead letter
 * (operator); forged forms and password guessing are refused. Screenshots go to test-output/console.
 */
describe('the operator console in a browser', () => {
  let bus: TestBus;
  let browser: Browser;
  let g22: Inbox;
  let h20Fixed = false;
  let documentId = '';

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    bus = await TestBus.start({ inboxDeliveryLimit: 2 });
    await bus.seed();
    // G22 signs with a certificate that runs out in 30 days: the overview's expiry watch shows it.
    await bus.trust.pki.issueEndpoint(G22, 'Văn phòng Chính phủ', 30 * 86_400_000);
    g22 = await bus.inbox(G22);
    const h41 = await bus.inbox(H41);
    const h20 = await bus.inbox(H20, {
      beforeStart: (inbox) =>
        inbox.client.onDocument(async (d) => {
          if (!h20Fixed) throw new Error('DMS storage full');
          inbox.documents.push(d);
        }),
    });
    const doc = documentPackage(G22, [H41, H20]);
    documentId = doc.documentId;
    await g22.receiptFor((await g22.client.send(doc.xml)).messageId);
    await waitFor(() => h41.documents.length > 0, 'copy at H41');
    await waitFor(async () => (await bus.query(`SELECT 1 FROM dead_letter`)).length > 0, 'dead letter');
    for (const [user, role] of [
      ['admin1', 'admin'],
      ['oper1', 'operator'],
      ['audit1', 'auditor'],
    ] as const) {
      const r = await runCli(['users', 'add', user, '--role', role, '--password', PASSWORD], cliEnv(bus));
      expect(r).toMatchObject({ status: 0 });
    }
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu'],
    });
    void h20;
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await bus?.close();
  });

  const as = async (user: string, password = PASSWORD): Promise<Page> => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${bus.httpBase()}/console/login`);
    await page.fill('input[name=username]', user);
    await page.fill('input[name=password]', password);
    await page.click('button');
    return page;
  };
  /** Who changed an endpoint and why, as recorded. */
  const changeOf = async (organ: string, action: string) =>
    (
      await bus.query<{ actor: string; reason: string }>(
        `SELECT actor, reason FROM endpoint_change WHERE organ_id = $1 AND action = $2`,
        [organ, action],
      )
    )[0];
  const shot = (page: Page, name: string) =>
    page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

  it('shows the overview, searches the delivery log and opens a timeline (admin)', async () => {
    const page = await as('admin1');
    await page.waitForURL(/\/console\/overview/);
    await page.waitForSelector('#dead-letters');
    expect(await page.textContent('#dead-letters')).toBe('1');
    // Problems first: the dead letter and G22's expiring certificate head the page, highlighted;
    // the endpoints with nothing held up are one line.
    expect(await page.getAttribute('#attention', 'class')).toBe('attention');
    expect(await page.textContent('#attention-dead-letters')).toBe('1');
    expect(await page.locator('#attention-certificates li').allTextContents()).toContainEqual(
      expect.stringContaining(G22),
    );
    expect(await page.textContent('#quiet-endpoints')).toMatch(/^\d+ điểm kết nối khác/);
    expect(await page.locator('#documents-per-hour rect').count()).toBe(24);
    expect(await page.locator('#documents-per-hour title').allTextContents()).toContainEqual(
      expect.stringMatching(/— 1$/),
    );
    const expiring = await page.locator('#expiring-certificates tbody tr').allTextContents();
    expect(expiring).toContainEqual(
      expect.stringMatching(new RegExp(`^${G22.replace(/\./g, '\\.')} — .*signer`)),
    );
    expect(expiring.join('\n')).not.toContain(H41); // only certificates the bus has accepted packages under
    // The test PKI's responder answered the OCSP queries for G22's chain: healthy, nothing on grace.
    const sources = page.locator('#revocation-sources tbody tr');
    expect(await sources.count()).toBeGreaterThan(0);
    expect(await sources.first().locator('td').nth(4).textContent()).toBe('0');
    await shot(page, 'overview');

    await page.click('text=Nhật ký chuyển phát');
    await page.fill('input[name=documentId]', documentId);
    await page.click('form.search button');
    await page.waitForSelector(`a:has-text("${documentId}")`);
    expect(await page.locator('tbody tr').count()).toBe(2); // one line per recipient
    await shot(page, 'deliveries');

    await page.click(`a:has-text("${documentId}")`);
    await page.waitForSelector('h2.copy');
    expect(await page.locator('h2.copy').allTextContents()).toEqual([
      expect.stringContaining(H20),
      expect.stringContaining(H41),
    ]);
    // Signature evidence and receipts: the signer, its revocation answers with their age, the receipt.
    expect(await page.textContent('#signature')).toMatch(/^verified · /);
    expect(await page.locator('#revocation-evidence tbody tr').count()).toBeGreaterThan(0);
    expect(await page.locator('#revocation-evidence tbody tr').first().textContent()).toMatch(
      /OCSPgood\d+ s/,
    );
    expect(await page.locator('#receipts tbody tr').allTextContents()).toEqual([
      expect.stringMatching(new RegExp(`${G22.replace(/\./g, '\\.')}accepted`)),
    ]);
    await shot(page, 'timeline');

    await page.goto(`${bus.httpBase()}/console/overview?lang=en`);
    expect(await page.textContent('header')).toContain('Delivery log');
  });

  it('lets an admin lock an endpoint with a reason, recorded with who did it', async () => {
    const page = await as('admin1');
    await page.goto(`${bus.httpBase()}/console/endpoints`);
    const row = page.locator(`form[data-endpoint="${H14}"]`);
    await row.locator('input[name=reason]').fill('Bảo trì hệ thống');
    await row.locator('button').click();
    await page.waitForSelector('p.ok');
    await shot(page, 'endpoints');
    const [endpoint] = await bus.query<{ status: string }>(
      `SELECT status FROM endpoint WHERE organ_id = $1`,
      [H14],
    );
    expect(endpoint!.status).toBe('locked');
    expect(await changeOf(H14, 'lock')).toEqual({ actor: 'console:admin1', reason: 'Bảo trì hệ thống' });
  });

  it('shows what each endpoint has been doing, and lets an admin change its signature policy', async () => {
    const page = await as('admin1');
    await page.goto(`${bus.httpBase()}/console/endpoints`);
    const cells = async (organ: string) =>
      page.locator('tr', { hasText: organ }).locator('td').allTextContents();
    // columns: code, name, transport, state, last package, waiting copies, policy, lock
    const g22Row = await cells(G22);
    // It sent the document: shown in Vietnam time (UTC+7), as the people at the desk read clocks.
    const [last] = await bus.query<{ at: Date }>(
      `SELECT max(accepted_at) AS at FROM package WHERE sender = $1`,
      [G22],
    );
    const vn = new Date(last!.at.getTime() + 7 * 3_600_000);
    const p2 = (n: number) => String(n).padStart(2, '0');
    expect(g22Row[4]).toBe(
      `${p2(vn.getUTCDate())}/${p2(vn.getUTCMonth() + 1)}/${vn.getUTCFullYear()} ${p2(vn.getUTCHours())}:${p2(vn.getUTCMinutes())}`,
    );
    expect(await page.locator('p.zone').textContent()).toContain('Asia/Ho_Chi_Minh (GMT+7)');
    expect((await cells(H20))[5]).toBe('1'); // its copy waits: its system keeps failing
    expect((await cells(H41))[4]).toBe('—'); // it has sent nothing
    const form = page.locator(`form[data-policy-endpoint="${H41}"]`);
    await form.locator('select').selectOption('legacy-sha1');
    await form.locator('input[name=reason]').fill('Phần mềm cũ, nâng cấp trong quý I');
    await form.locator('button').click();
    await page.waitForSelector('p.ok');
    const [endpoint] = await bus.query<{ signature_policy: string }>(
      `SELECT signature_policy FROM endpoint WHERE organ_id = $1`,
      [H41],
    );
    expect(endpoint!.signature_policy).toBe('legacy-sha1');
    expect(await changeOf(H41, 'policy')).toEqual({
      actor: 'console:admin1',
      reason: 'strict → legacy-sha1: Phần mềm cũ, nâng cấp trong quý I',
    });
  });

  it('refuses the same to an auditor, even with a hand-made form', async () => {
    const page = await as('audit1');
    await page.goto(`${bus.httpBase()}/console/endpoints`);
    const row = page.locator(`form[data-endpoint="${H49}"]`);
    expect(await row.locator('input[name=reason]').isDisabled()).toBe(true);
    // What a user could do in the browser's developer tools: enable the field and submit.
    interface FormLike {
      querySelector(selector: string): { disabled: boolean; value: string };
      submit(): void;
    }
    await row.evaluate((node) => {
      const form = node as unknown as FormLike;
      const input = form.querySelector('input[name=reason]');
      input.disabled = false;
      input.value = 'thử';
      form.submit();
    });
    await page.waitForSelector('#forbidden');
    await shot(page, 'auditor-forbidden');
    const [endpoint] = await bus.query<{ status: string }>(
      `SELECT status FROM endpoint WHERE organ_id = $1`,
      [H49],
    );
    expect(endpoint!.status).toBe('active');
  });

  it('lets an operator redeliver a dead letter with a reason', async () => {
    h20Fixed = true;
    const page = await as('oper1');
    await page.goto(`${bus.httpBase()}/console/dead-letters`);
    const form = page.locator('form[data-letter]').first();
    await form.locator('input[name=reason]').fill('Đã mở rộng dung lượng');
    await form.locator('button').click();
    await page.waitForSelector('p.ok');
    await shot(page, 'dead-letters');
    const [r] = await bus.query<{ actor: string; reason: string }>(
      `SELECT actor, reason FROM dead_letter_redelivery`,
    );
    expect(r).toEqual({ actor: 'console:oper1', reason: 'Đã mở rộng dung lượng' });
  });

  it('lets an auditor export the audit trail, which verifies offline; an operator may not', async () => {
    const page = await as('audit1');
    await page.goto(`${bus.httpBase()}/console/audit`);
    await shot(page, 'audit');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#audit-export button')]);
    const file = join(SHOTS, 'audit-export.jsonl');
    await download.saveAs(file);
    const verified = await runCli(['audit', 'verify', file], cliEnv(bus));
    expect({ status: verified.status, stderr: verified.stderr }).toEqual({ status: 0, stderr: '' });
    expect(verified.stdout).toMatch(/^OK: [1-9]\d* entries/);
    const [action] = await bus.query<{ username: string; action: string }>(
      `SELECT username, action FROM console_action`,
    );
    expect(action).toEqual({ username: 'audit1', action: 'audit.export' });

    const operator = await as('oper1');
    await operator.goto(`${bus.httpBase()}/console/audit`);
    await operator.waitForSelector('#forbidden');
  });

  it('carries a CSRF token in the login form: a login posted without it (from another site) is refused', async () => {
    const forged = await fetch(`${bus.httpBase()}/console/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username: 'admin1', password: PASSWORD }),
      redirect: 'manual',
    });
    expect(forged.status).toBe(403);
    expect(forged.headers.get('set-cookie') ?? '').not.toContain('edoc_console=');
    // Recorded (and audited), without counting towards the account's lockout.
    const [refused] = await bus.query<{ outcome: string }>(
      `SELECT outcome FROM console_login WHERE username = 'admin1' ORDER BY id DESC LIMIT 1`,
    );
    expect(refused?.outcome).toBe('form-refused');
    // The form's token only works with the cookie that came with the form.
    const form = await fetch(`${bus.httpBase()}/console/login`);
    const token = /name="csrf" value="([^"]+)"/.exec(await form.text())![1]!;
    const cookie = /edoc_login=[^;]+/.exec(form.headers.get('set-cookie') ?? '')![0];
    const withoutCookie = await fetch(`${bus.httpBase()}/console/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username: 'admin1', password: PASSWORD, csrf: token }),
      redirect: 'manual',
    });
    expect(withoutCookie.status).toBe(403);
    const proper = await fetch(`${bus.httpBase()}/console/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
      body: new URLSearchParams({ username: 'admin1', password: PASSWORD, csrf: token }),
      redirect: 'manual',
    });
    expect(proper.status).toBe(303);
    expect(proper.headers.get('set-cookie')).toContain('edoc_console=');
  });

  it('shows an operator the admin-only actions disabled and no audit page, in Vietnamese throughout', async () => {
    const page = await as('oper1');
    await page.waitForURL(/overview/);
    expect(await page.locator('nav a[href="/console/audit"]').count()).toBe(0);
    await page.goto(`${bus.httpBase()}/console/endpoints`);
    const buttons = page.locator('form[data-endpoint] button, form[data-policy-endpoint] button');
    expect(await buttons.count()).toBeGreaterThan(90);
    expect(await page.locator('form[data-endpoint] button:not([disabled])').count()).toBe(0);
    expect(await page.locator('form[data-policy-endpoint] button:not([disabled])').count()).toBe(0);
    expect(await buttons.first().getAttribute('title')).toBe('Chỉ quản trị viên được thực hiện.');
    await shot(page, 'operator-endpoints');

    await page.goto(`${bus.httpBase()}/console/deliveries`);
    const labels = (await page.locator('form.search label').allTextContents()).map((l) => l.trim());
    expect(labels).toContain('Từ ngày');
    expect(labels).toContain('Đến ngày');
    await page.locator('tbody a').first().click();
    const headers = await page.locator('table').first().locator('th').allTextContents();
    expect(headers).toEqual([
      'Thời gian',
      'Sự kiện',
      'Mã trạng thái',
      'Nguồn',
      'Trạng thái',
      'Ghi chú bất thường',
    ]);
  });

  it('refuses a form without the session’s CSRF token, and locks an account after five wrong passwords', async () => {
    const page = await as('admin1');
    await page.waitForURL(/overview/);
    const status = await page.evaluate(async (organ) => {
      const r = await fetch(`/console/endpoints/${organ}/status`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'action=lock&reason=x&csrf=forged',
      });
      return r.status;
    }, H49);
    expect(status).toBe(403);

    for (let i = 0; i < 5; i++) await as('oper1', 'wrong password!!');
    const locked = await as('oper1'); // the right password, too late
    expect(await locked.textContent('p.error')).toContain('tạm khóa');
    await shot(locked, 'locked');
    const logins = await bus.query<{ outcome: string }>(
      `SELECT outcome FROM console_login WHERE username = 'oper1' ORDER BY id DESC LIMIT 6`,
    );
    expect(logins.map((l) => l.outcome)).toEqual([
      'locked',
      'failed',
      'failed',
      'failed',
      'failed',
      'failed',
    ]);
  });
});
