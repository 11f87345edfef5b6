import { Controller, Get, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { may, type ConsoleAction, type ConsoleSession } from '../../../modules/console/domain/console-user';
import { LogIn, type LogInRefusal } from '../../../modules/console/use-cases/log-in.use-case';
import { GetConsoleSession } from '../../../modules/console/use-cases/get-console-session.use-case';
import { LogOut } from '../../../modules/console/use-cases/log-out.use-case';
import { GetConsoleOverview } from '../../../modules/console/use-cases/get-console-overview.use-case';
import { ListConsoleEndpoints } from '../../../modules/console/use-cases/list-console-endpoints.use-case';
import { SearchDeliveries } from '../../../modules/console/use-cases/search-deliveries.use-case';
import { GetDocumentTimeline } from '../../../modules/console/use-cases/get-document-timeline.use-case';
import { ExportAuditAsUser } from '../../../modules/console/use-cases/export-audit-as-user.use-case';
import { ListDeadLetters } from '../../../modules/dead-letters/use-cases/list-dead-letters.use-case';
import { RedeliverDeadLetter } from '../../../modules/dead-letters/use-cases/redeliver-dead-letter.use-case';
import {
  ChangeEndpointStatus,
  ChangeEndpointStatusCommand,
} from '../../../modules/registry/use-cases/change-endpoint-status.use-case';
import {
  ChangeSignaturePolicy,
  ChangeSignaturePolicyCommand,
} from '../../../modules/registry/use-cases/change-signature-policy.use-case';
import { SIGNATURE_POLICIES, type SignaturePolicy } from '../../../modules/trust/policy/signature-policy';
import type { ArchivedDocument } from '../../../modules/retention/archived-documents.port';
import { LocateArchivedDocument } from '../../../modules/retention/use-cases/locate-archived-document.use-case';
import { InvalidCommandError } from '../../../modules/shared/command';
import { DomainRuleError } from '../../../modules/shared/errors';
import { readBody } from '../read-body';
import { BUS_CONFIG, type BusConfig } from '../../config/bus-config';
import { ConsoleClock, esc, hourlyChart, page, t, table, type Lang, type Word } from './html';

const COOKIE = 'edoc_console';
/** Login CSRF: the login form's token, also set as a cookie only this site's pages send back. */
const LOGIN_COOKIE = 'edoc_login';
/** The answer to each refused login: a form not from this site is forbidden, a wrong login unauthorized. */
const LOGIN_REFUSALS: Record<LogInRefusal, [status: number, message: Word]> = {
  'form-refused': [403, 'loginExpired'],
  'bad-credentials': [401, 'badLogin'],
  locked: [401, 'lockedLogin'],
};
const PRIORITY = ['Thường', 'Khẩn', 'Thượng khẩn', 'Hỏa tốc', 'Hỏa tốc hẹn giờ'];

function cookies(req: Request): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i).trim()] = decodeURIComponent(part.slice(i + 1).trim());
  }
  return out;
}

function langOf(req: Request, res: Response): Lang {
  const asked = typeof req.query['lang'] === 'string' ? req.query['lang'] : undefined;
  if (asked === 'vi' || asked === 'en') {
    res.cookie('edoc_lang', asked, { path: '/console', sameSite: 'strict', httpOnly: true });
    return asked;
  }
  return cookies(req)['edoc_lang'] === 'en' ? 'en' : 'vi';
}

async function form(req: Request): Promise<URLSearchParams> {
  const body = await readBody(req, 64 * 1024);
  return new URLSearchParams(body.truncated ? '' : body.bytes.toString('utf8'));
}

const text = (q: unknown): string | null => (typeof q === 'string' && q.trim() !== '' ? q.trim() : null);

/**
 * The operator console at /console: server-rendered pages for people at a desk, Vietnamese first.
 * Sessions are opaque cookies (HttpOnly, SameSite=Strict, Secure over HTTPS) whose hash is stored;
 * every form carries the session's CSRF token; roles decide who may lock endpoints, redeliver or
 * export. Actions go through the same use cases as the CLI, so they are recorded and audited.
 */
@Controller('console')
export class ConsoleController {
  private readonly clock: ConsoleClock;
  private readonly zoneNote: string;

  constructor(
    @Inject(BUS_CONFIG) config: BusConfig,
    private readonly login: LogIn,
    private readonly logout: LogOut,
    private readonly sessions: GetConsoleSession,
    private readonly overviewView: GetConsoleOverview,
    private readonly search: SearchDeliveries,
    private readonly locateArchived: LocateArchivedDocument,
    private readonly timeline: GetDocumentTimeline,
    private readonly endpoints: ListConsoleEndpoints,
    private readonly changeStatus: ChangeEndpointStatus,
    private readonly changePolicy: ChangeSignaturePolicy,
    private readonly deadLetters: ListDeadLetters,
    private readonly redeliver: RedeliverDeadLetter,
    private readonly exportAudit: ExportAuditAsUser,
  ) {
    this.clock = new ConsoleClock(config.consoleTimeZone);
    this.zoneNote = `${this.clock.timeZone} (${this.clock.zoneLabel})`;
  }

  private when(d: Date, lang: Lang, seconds = true): string {
    return esc(this.clock.format(d, lang, seconds));
  }

  /** A page with the note saying which time zone its times are in. */
  private page(lang: Lang, title: string, body: string, s: ConsoleSession | null): string {
    return page(lang, title, body, s, this.zoneNote);
  }

  @Get()
  root(@Res() res: Response): void {
    res.redirect(303, '/console/overview');
  }

  @Get('login')
  loginPage(@Req() req: Request, @Res() res: Response): void {
    const lang = langOf(req, res);
    res
      .type('html')
      .send(page(lang, t(lang, 'login'), loginForm(lang, null, this.loginToken(req, res)), null));
  }

  /**
   * A fresh login CSRF token, set as a cookie and written into the form: a login posted from
   * another site cannot carry the cookie (SameSite=Strict) nor read the token, so nobody can log a
   * victim's browser into the attacker's account.
   */
  private loginToken(req: Request, res: Response): string {
    const token = randomBytes(24).toString('base64url');
    res.cookie(LOGIN_COOKIE, token, {
      path: '/console/login',
      httpOnly: true,
      sameSite: 'strict',
      secure: req.secure,
      maxAge: 3_600_000,
    });
    return token;
  }

  @Post('login')
  async doLogin(@Req() req: Request, @Res() res: Response): Promise<void> {
    const lang = langOf(req, res);
    const f = await form(req);
    const result = await this.login.execute({
      username: f.get('username') ?? '',
      password: f.get('password') ?? '',
      formTokenMatches: sameToken(f.get('csrf'), cookies(req)[LOGIN_COOKIE]),
      remote: req.socket.remoteAddress ?? null,
    });
    if (!result.ok) {
      const [status, message] = LOGIN_REFUSALS[result.reason];
      return void res
        .status(status)
        .type('html')
        .send(
          page(lang, t(lang, 'login'), loginForm(lang, t(lang, message), this.loginToken(req, res)), null),
        );
    }
    res.clearCookie(LOGIN_COOKIE, { path: '/console/login' });
    res.cookie(COOKIE, result.sessionId, {
      path: '/console',
      httpOnly: true,
      sameSite: 'strict',
      // Over TLS, or through a proxy listed in TRUSTED_PROXIES that says it terminated TLS.
      secure: req.secure,
      expires: result.session.expiresAt,
    });
    res.redirect(303, '/console/overview');
  }

  @Post('logout')
  async doLogout(@Req() req: Request, @Res() res: Response): Promise<void> {
    const s = await this.session(req, res, true);
    if (!s) return;
    await this.logout.execute(cookies(req)[COOKIE] ?? '');
    res.clearCookie(COOKIE, { path: '/console' });
    res.redirect(303, '/console/login');
  }

  @Get('overview')
  async overview(@Req() req: Request, @Res() res: Response): Promise<void> {
    const s = await this.session(req, res);
    if (!s) return;
    const lang = langOf(req, res);
    const o = await this.overviewView.execute();
    const body = `
      <h2>${t(lang, 'documentsPerHour')}</h2>
      ${hourlyChart(o.documentsPerHour, Date.now(), this.clock, lang)}
      <h2>${t(lang, 'outcomes')}</h2>
      ${table(
        ['', t(lang, 'reason'), '#'],
        o.outcomes.map((x) => [esc(x.outcome), esc(x.reason ?? ''), String(x.count)]),
      )}
      <h2>${t(lang, 'backlog')}</h2>
      ${table(
        [t(lang, 'recipient'), t(lang, 'waiting'), t(lang, 'oldest'), t(lang, 'overdue')],
        o.backlog.map((b) => [
          esc(b.endpoint),
          String(b.waiting),
          b.oldestSeconds.toFixed(0),
          String(b.overdue),
        ]),
      )}
      <h2>${t(lang, 'expiring')}</h2>
      ${
        o.expiringCertificates.length === 0
          ? `<p class="ok">${t(lang, 'noneExpiring')}</p>`
          : table(
              [t(lang, 'certificate'), t(lang, 'kind'), t(lang, 'expires'), t(lang, 'lastSeen')],
              o.expiringCertificates.map((c) => [
                esc(c.organId ? `${c.organId} — ${c.subject}` : c.subject),
                esc(c.source),
                `<span class="${c.notAfter.getTime() < Date.now() ? 'error' : ''}">${this.when(c.notAfter, lang, false)}</span>`,
                c.lastSeen ? this.when(c.lastSeen, lang, false) : '',
              ]),
              'expiring-certificates',
            )
      }
      <h2>${t(lang, 'revocationHealth')}</h2>
      ${
        o.revocationSources.length === 0
          ? `<p>${t(lang, 'noSources')}</p>`
          : table(
              [
                t(lang, 'address'),
                t(lang, 'method'),
                t(lang, 'lastSuccess'),
                t(lang, 'lastFailure'),
                t(lang, 'failuresInARow'),
                t(lang, 'certificates'),
                t(lang, 'onGrace'),
              ],
              o.revocationSources.map((r) => [
                esc(r.url),
                esc(r.method.toUpperCase()),
                r.lastSuccessAt ? this.when(r.lastSuccessAt, lang, false) : '',
                r.lastFailureAt
                  ? `<span class="error">${this.when(r.lastFailureAt, lang, false)}: ${esc(r.lastError ?? '')}</span>`
                  : '',
                `<span class="${r.failuresInARow > 0 ? 'error' : 'ok'}">${r.failuresInARow}</span>`,
                String(r.certificates),
                `<span class="${r.onGrace > 0 ? 'error' : ''}">${r.onGrace}</span>`,
              ]),
              'revocation-sources',
            )
      }
      <p>${t(lang, 'deadLetters')}: <strong id="dead-letters">${o.deadLetters}</strong> · ${t(lang, 'auditHead')}: ${o.auditHead ?? 0}</p>`;
    res.type('html').send(this.page(lang, t(lang, 'overview'), body, s));
  }

  @Get('deliveries')
  async deliveries(
    @Req() req: Request,
    @Res() res: Response,
    @Query() q: Record<string, unknown>,
  ): Promise<void> {
    const s = await this.session(req, res);
    if (!s) return;
    const lang = langOf(req, res);
    const date = (v: unknown) => {
      const given = text(v);
      return given ? this.clock.parse(given) : null;
    };
    const filter = {
      documentId: text(q['documentId']),
      sender: text(q['sender']),
      recipient: text(q['recipient']),
      state: text(q['state']),
      subject: text(q['subject']),
      priority:
        text(q['priority']) !== null && /^[0-4]$/.test(String(q['priority'])) ? Number(q['priority']) : null,
      from: date(q['from']),
      to: date(q['to']),
    };
    const started = performance.now();
    const result = await this.search.execute(filter, text(q['after']), 50);
    const ms = performance.now() - started;
    // Nothing in the database for a DocumentId: its month may have gone to the archive.
    const archived =
      filter.documentId && result.lines.length === 0
        ? await this.locateArchived.forOperator({ documentId: filter.documentId })
        : [];
    const field = (name: string, label: string) =>
      `<label>${esc(label)} <input name="${name}" value="${esc(text(q[name]) ?? '')}"></label>`;
    const params = new URLSearchParams(
      Object.entries(q).filter(([k, v]) => k !== 'after' && typeof v === 'string') as Array<[string, string]>,
    );
    if (result.next) params.set('after', result.next);
    const body = `
      <form class="search" method="get" action="/console/deliveries">
        ${field('documentId', t(lang, 'documentId'))}${field('subject', t(lang, 'subject'))}${field('sender', t(lang, 'sender'))}
        ${field('recipient', t(lang, 'recipient'))}${field('state', t(lang, 'state'))}${field('priority', t(lang, 'priority'))}
        ${field('from', t(lang, 'fromDate'))}${field('to', t(lang, 'toDate'))}<button>${t(lang, 'search')}</button>
      </form>
      <p class="timing">${result.lines.length} · ${ms.toFixed(0)} ms</p>
      ${archived.map((a) => this.archivedNote(lang, a)).join('')}
      ${table(
        [
          t(lang, 'time'),
          t(lang, 'documentId'),
          t(lang, 'subject'),
          t(lang, 'sender'),
          t(lang, 'recipient'),
          t(lang, 'state'),
          t(lang, 'priority'),
        ],
        result.lines.map((l) => [
          this.when(l.createdAt, lang),
          `<a href="/console/documents/${esc(l.busId)}">${esc(l.documentId)}</a>`,
          esc(l.subject ?? ''),
          esc(l.sender),
          esc(l.recipient),
          esc(l.state) + (l.overdue ? ` <strong class="error">${t(lang, 'overdue')}</strong>` : ''),
          esc(PRIORITY[l.priority] ?? l.priority),
        ]),
      )}
      ${result.next ? `<a rel="next" href="/console/deliveries?${esc(params.toString())}">${t(lang, 'next')}</a>` : ''}`;
    res.type('html').send(this.page(lang, t(lang, 'deliveries'), body, s));
  }

  /** Where an archived document is, and the command that brings its month back. */
  private archivedNote(lang: Lang, a: ArchivedDocument): string {
    return `<p class="archived" data-archived-in="${esc(a.archivedIn)}">${esc(a.documentId)} (${esc(a.sender)} → ${esc(a.recipients.join(', '))}) — ${t(lang, 'archivedIn')} <strong>${esc(a.archivedIn)}</strong>. ${t(lang, 'restoreWith')} <code>edoc-bus archive restore ${esc(a.archivedIn)}</code></p>`;
  }

  @Get('documents/:busId')
  async document(@Req() req: Request, @Res() res: Response, @Param('busId') busId: string): Promise<void> {
    const s = await this.session(req, res);
    if (!s) return;
    const lang = langOf(req, res);
    const found = await this.timeline.execute(busId);
    if (!found) {
      const [archived] = await this.locateArchived.forOperator({ busId });
      return void res
        .status(archived ? 410 : 404)
        .type('html')
        .send(
          page(lang, t(lang, 'timeline'), archived ? this.archivedNote(lang, archived) : '<p>404</p>', s),
        );
    }
    const { trace, evidence } = found;
    const sig = evidence.signature;
    const signature = !sig
      ? `<p>—</p>`
      : `<p id="signature">${esc(sig.status)} · ${t(lang, 'policy')}: ${esc(sig.policy)}${sig.flags.length ? ` · <span class="error">${sig.flags.map(esc).join('; ')}</span>` : ''}</p>
      ${
        sig.signer
          ? table(
              [t(lang, 'certificate'), t(lang, 'serial'), t(lang, 'expires')],
              [[esc(sig.signer.subject), esc(sig.signer.serialNumber), esc(sig.signer.notAfter)]],
            )
          : ''
      }
      ${sig.chain?.length ? `<p>${t(lang, 'chain')}: ${sig.chain.map(esc).join(' → ')}</p>` : ''}
      ${
        sig.revocation?.length
          ? table(
              [
                t(lang, 'certificate'),
                t(lang, 'method'),
                t(lang, 'revocationStatus'),
                t(lang, 'evidenceAge'),
                t(lang, 'address'),
              ],
              sig.revocation.map((r) => [
                esc(r.subject),
                esc(r.method.toUpperCase()),
                esc(r.status),
                `${r.ageSeconds} s${r.stale ? ` <span class="error">(${t(lang, 'onGrace')})</span>` : ''}`,
                esc(r.url),
              ]),
              'revocation-evidence',
            )
          : ''
      }
      ${
        sig.pdf?.length
          ? table(
              ['PDF', t(lang, 'certificate'), t(lang, 'revocationStatus')],
              sig.pdf.map((p) => [
                esc(`${p.attachment}${p.entry ? ` / ${p.entry}` : ''}`),
                esc(p.signer ?? ''),
                esc(`${p.status}${p.reason ? `: ${p.reason}` : ''}`),
              ]),
            )
          : ''
      }`;
    const receipts = table(
      [t(lang, 'time'), t(lang, 'recipient'), t(lang, 'outcome'), t(lang, 'reason')],
      evidence.receipts.map((r) => [
        this.when(r.issuedAt, lang),
        esc(r.to),
        esc(r.outcome),
        esc(r.reason ?? ''),
      ]),
      'receipts',
    );
    const body = `
      <p><strong>${esc(trace.documentId)}</strong> — ${esc(trace.subject ?? '')}<br>
      ${t(lang, 'sender')}: ${esc(trace.sender)} · ${t(lang, 'priority')}: ${esc(PRIORITY[trace.priority] ?? trace.priority)} · ${this.when(trace.acceptedAt, lang)}
      ${trace.relatedPackageId ? `<br>→ <a href="/console/documents/${esc(trace.relatedPackageId)}">${esc(trace.relatedPackageId)}</a>` : ''}</p>
      ${trace.changes.map((c) => `<p>↳ <a href="/console/documents/${esc(c.busId)}">${esc(c.busId)}</a> (${c.businessDocType})</p>`).join('')}
      ${trace.copies
        .map(
          (
            c,
          ) => `<h2 class="copy">${esc(c.recipient)}: ${esc(c.state)}${c.overdue ? ` <span class="error">${t(lang, 'overdue')}</span>` : ''}</h2>
      ${table(
        [
          t(lang, 'time'),
          t(lang, 'event'),
          t(lang, 'statusCode'),
          t(lang, 'source'),
          t(lang, 'state'),
          t(lang, 'flag'),
        ],
        c.history.map((h) => [
          this.when(h.at, lang),
          esc(h.event),
          esc(h.statusCode ?? ''),
          esc(h.source),
          esc(`${h.stateBefore ?? ''} → ${h.stateAfter ?? ''}`),
          esc(h.flag ?? ''),
        ]),
      )}`,
        )
        .join('')}
      <h2>${t(lang, 'signatureEvidence')}</h2>${signature}
      <h2>${t(lang, 'receiptsIssued')}</h2>${receipts}`;
    res.type('html').send(this.page(lang, t(lang, 'timeline'), body, s));
  }

  @Get('endpoints')
  async endpointList(@Req() req: Request, @Res() res: Response, @Query('done') done?: string): Promise<void> {
    const s = await this.session(req, res);
    if (!s) return;
    const lang = langOf(req, res);
    const endpoints = await this.endpoints.execute();
    const canLock = may(s.role, 'endpoint.lock');
    const canSetPolicy = may(s.role, 'endpoint.policy');
    const csrf = `<input type="hidden" name="csrf" value="${esc(s.csrfToken)}">`;
    const policyForm = (organId: string, current: SignaturePolicy) =>
      `<form method="post" action="/console/endpoints/${esc(organId)}/policy" class="inline" data-policy-endpoint="${esc(organId)}">${csrf}
          <select name="policy" ${canSetPolicy ? '' : 'disabled'}>${SIGNATURE_POLICIES.map(
            (p) => `<option value="${p}"${p === current ? ' selected' : ''}>${p}</option>`,
          ).join('')}</select>
          <input name="reason" placeholder="${t(lang, 'reason')}" required ${canSetPolicy ? '' : 'disabled'}>
          <button ${canSetPolicy ? '' : `disabled title="${t(lang, 'adminOnly')}"`}>${t(lang, 'change')}</button></form>`;
    const body = `${done ? `<p class="ok">${t(lang, 'done')}</p>` : ''}${table(
      [
        '',
        t(lang, 'name'),
        t(lang, 'transport'),
        t(lang, 'state'),
        t(lang, 'lastPackage'),
        t(lang, 'waiting'),
        t(lang, 'policy'),
        '',
      ],
      endpoints.map((e) => [
        esc(e.organId),
        esc(e.name),
        esc(e.transport),
        esc(e.status) + (e.statusReason ? ` (${esc(e.statusReason)})` : ''),
        e.lastPackageAt ? this.when(e.lastPackageAt, lang, false) : '—',
        String(e.waiting),
        e.status === 'closed' ? esc(e.signaturePolicy) : policyForm(e.organId, e.signaturePolicy),
        e.status === 'closed'
          ? ''
          : `<form method="post" action="/console/endpoints/${esc(e.organId)}/status" class="inline" data-endpoint="${esc(e.organId)}">${csrf}
          <input type="hidden" name="action" value="${e.status === 'locked' ? 'unlock' : 'lock'}">
          <input name="reason" placeholder="${t(lang, 'reason')}" required ${canLock ? '' : 'disabled'}>
          <button ${canLock ? '' : `disabled title="${t(lang, 'adminOnly')}"`}>${t(lang, e.status === 'locked' ? 'unlock' : 'lock')}</button></form>`,
      ]),
    )}`;
    res.type('html').send(this.page(lang, t(lang, 'endpoints'), body, s));
  }

  @Post('endpoints/:organId/status')
  endpointStatus(
    @Req() req: Request,
    @Res() res: Response,
    @Param('organId') organId: string,
  ): Promise<void> {
    return this.endpointChange(req, res, 'endpoint.lock', (f, actor) =>
      this.changeStatus.execute(
        ChangeEndpointStatusCommand.create({
          code: organId,
          action: f.get('action') === 'unlock' ? 'unlock' : 'lock',
          reason: f.get('reason') ?? '',
          actor,
        }),
      ),
    );
  }

  @Post('endpoints/:organId/policy')
  endpointPolicy(
    @Req() req: Request,
    @Res() res: Response,
    @Param('organId') organId: string,
  ): Promise<void> {
    return this.endpointChange(req, res, 'endpoint.policy', (f, actor) =>
      this.changePolicy.execute(
        ChangeSignaturePolicyCommand.create({
          code: organId,
          policy: f.get('policy') as SignaturePolicy, // validated by the command
          reason: f.get('reason') ?? '',
          actor,
        }),
      ),
    );
  }

  /**
   * An endpoint change from the console: session, CSRF token and role are checked, then `change`
   * runs. A form the use case refuses (no reason, a policy that does not exist, an unknown
   * endpoint: what a hand-made form can send) gets a 400 page saying why, not a server error.
   */
  private async endpointChange(
    req: Request,
    res: Response,
    action: ConsoleAction,
    change: (f: URLSearchParams, actor: string) => Promise<unknown>,
  ): Promise<void> {
    const f = await form(req);
    const s = await this.session(req, res, true, f, action);
    if (!s) return;
    try {
      await change(f, `console:${s.username}`);
    } catch (error) {
      if (!(error instanceof InvalidCommandError || error instanceof DomainRuleError)) throw error;
      return void res
        .status(400)
        .type('html')
        .send(page(langOf(req, res), '400', `<p class="error" id="refused">${esc(error.message)}</p>`, s));
    }
    res.redirect(303, '/console/endpoints?done=1');
  }

  @Get('dead-letters')
  async deadLetterList(
    @Req() req: Request,
    @Res() res: Response,
    @Query('done') done?: string,
  ): Promise<void> {
    const s = await this.session(req, res);
    if (!s) return;
    const lang = langOf(req, res);
    const letters = await this.deadLetters.execute({ limit: 200 });
    const canRedeliver = may(s.role, 'dead-letter.redeliver');
    const body = `${done ? `<p class="ok">${t(lang, 'done')}</p>` : ''}${table(
      [
        t(lang, 'time'),
        t(lang, 'queue'),
        t(lang, 'messageType'),
        t(lang, 'reason'),
        t(lang, 'redelivered'),
        '',
      ],
      letters.map((l) => [
        this.when(l.deadAt, lang),
        esc(l.queue),
        esc(l.messageType ?? ''),
        esc(l.reason),
        String(l.redeliveries),
        canRedeliver
          ? `<form method="post" action="/console/dead-letters/${esc(l.id)}/redeliver" class="inline" data-letter="${esc(l.id)}">
          <input type="hidden" name="csrf" value="${esc(s.csrfToken)}"><input name="reason" placeholder="${t(lang, 'reason')}" required>
          <button>${t(lang, 'redeliver')}</button></form>`
          : '',
      ]),
    )}`;
    res.type('html').send(this.page(lang, t(lang, 'deadLetters'), body, s));
  }

  @Post('dead-letters/:id/redeliver')
  async redeliverLetter(@Req() req: Request, @Res() res: Response, @Param('id') id: string): Promise<void> {
    const f = await form(req);
    const s = await this.session(req, res, true, f, 'dead-letter.redeliver');
    if (!s) return;
    const r = await this.redeliver.execute({
      id,
      actor: `console:${s.username}`,
      reason: f.get('reason') ?? '',
    });
    if (r.outcome !== 'redelivered')
      return void res
        .status(409)
        .type('html')
        .send(
          page(
            langOf(req, res),
            t(langOf(req, res), 'deadLetters'),
            `<p class="error">${esc(r.outcome === 'not-found' ? '404' : r.why)}</p>`,
            s,
          ),
        );
    res.redirect(303, '/console/dead-letters?done=1');
  }

  @Get('audit')
  async auditPage(@Req() req: Request, @Res() res: Response): Promise<void> {
    const s = await this.session(req, res, false, undefined, 'audit.export');
    if (!s) return;
    const lang = langOf(req, res);
    const day = (d: Date) => this.clock.day(d);
    const now = new Date();
    const body = `<form method="get" action="/console/audit/export" id="audit-export">
      <label>${t(lang, 'fromDate')} <input name="from" value="${day(new Date(now.getTime() - 30 * 86_400_000))}"></label>
      <label>${t(lang, 'toDate')} <input name="to" value="${day(new Date(now.getTime() + 86_400_000))}"></label>
      <label>${t(lang, 'recipient')} <input name="endpoint"></label>
      <button>${t(lang, 'export')}</button></form>
      <p>${t(lang, 'verifyOffline')}: <code>edoc-bus audit verify &lt;file&gt;</code></p>`;
    res.type('html').send(this.page(lang, t(lang, 'audit'), body, s));
  }

  /** The export as one JSON Lines file: links, entries, checkpoints, then the manifest. */
  @Get('audit/export')
  async auditExport(
    @Req() req: Request,
    @Res() res: Response,
    @Query() q: Record<string, unknown>,
  ): Promise<void> {
    const s = await this.session(req, res, false, undefined, 'audit.export');
    if (!s) return;
    const from = this.clock.parse(text(q['from']) ?? '');
    const to = this.clock.parse(text(q['to']) ?? '');
    if (!from || !to || !(from < to))
      return void res.status(400).type('text').send('from and to are dates, from before to');
    res
      .status(200)
      .type('application/x-ndjson')
      .set(
        'content-disposition',
        `attachment; filename="edoc-bus-audit-${from.toISOString().slice(0, 10)}.jsonl"`,
      );
    const line = async (value: unknown) => {
      if (!res.write(JSON.stringify(value) + '\n')) await new Promise((r) => res.once('drain', r));
    };
    const manifest = await this.exportAudit.execute(
      s.username,
      { from, to, endpoint: text(q['endpoint']), document: null },
      {
        links: async (page) => {
          for (const l of page) await line({ type: 'link', ...l });
        },
        entries: async (page) => {
          for (const e of page) await line({ type: 'entry', ...e });
        },
        checkpoints: async (all) => line({ type: 'checkpoints', items: all }),
      },
    );
    await line({ type: 'manifest', ...manifest });
    res.end();
  }

  /**
   * The session of this request, or a redirect to the login page. For a form post, the CSRF token
   * must match the session's, and the role must allow the action (403 otherwise).
   */
  private async session(
    req: Request,
    res: Response,
    post = false,
    body?: URLSearchParams,
    action?: ConsoleAction,
  ): Promise<ConsoleSession | null> {
    const s = await this.sessions.execute(cookies(req)[COOKIE]);
    const lang = langOf(req, res);
    if (!s) {
      res.redirect(303, '/console/login');
      return null;
    }
    if (post) {
      const f = body ?? (await form(req));
      if (f.get('csrf') !== s.csrfToken) {
        res
          .status(403)
          .type('html')
          .send(page(lang, '403', '<p class="error">CSRF</p>', s));
        return null;
      }
    }
    if (action && !may(s.role, action)) {
      res
        .status(403)
        .type('html')
        .send(page(lang, '403', `<p class="error" id="forbidden">${t(lang, 'forbidden')}</p>`, s));
      return null;
    }
    return s;
  }
}

function sameToken(given: string | null, expected: string | undefined): boolean {
  if (!given || !expected || given.length !== expected.length) return false;
  return timingSafeEqual(Buffer.from(given), Buffer.from(expected));
}

function loginForm(lang: Lang, error: string | null, csrf: string): string {
  return `${error ? `<p class="error">${esc(error)}</p>` : ''}
    <form method="post" action="/console/login"><input type="hidden" name="csrf" value="${esc(csrf)}">
      <p><label>${t(lang, 'username')} <input name="username" autocomplete="username" required></label></p>
      <p><label>${t(lang, 'password')} <input name="password" type="password" autocomplete="current-password" required></label></p>
      <p><button>${t(lang, 'login')}</button></p>
    </form>`;
}
