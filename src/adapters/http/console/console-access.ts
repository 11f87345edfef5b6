import {
  applyDecorators,
  Catch,
  createParamDecorator,
  Injectable,
  SetMetadata,
  UseFilters,
  UseGuards,
  type ArgumentsHost,
  type CanActivate,
  type ExceptionFilter,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Response } from 'express';
import { may, type ConsoleAction, type ConsoleSession } from '../../../modules/console/domain/console-user';
import { GetConsoleSession } from '../../../modules/console/use-cases/get-console-session.use-case';
import { cookies, langOf, readForm, SESSION_COOKIE, type ConsoleRequest } from './console-request';
import { esc, page, t } from './html';

const ACCESS = 'edoc:console-access';

/** Why a request did not reach its page. */
export class ConsoleRefusal extends Error {
  constructor(
    readonly kind: 'login' | 'csrf' | 'forbidden',
    readonly session: ConsoleSession | null = null,
  ) {
    super(kind);
  }
}

/**
 * A console page behind a session: no session → the login page; a form post without the
 * session's CSRF token → 403; a role that may not do `action` → 403. The handler gets the session
 * with `@ConsoleUser()` and a posted form with `@PostedForm()`.
 */
export function ConsolePage(action?: ConsoleAction) {
  return applyDecorators(
    SetMetadata(ACCESS, action ?? null),
    UseGuards(ConsoleSessionGuard),
    UseFilters(ConsoleRefusalFilter),
  );
}

@Injectable()
export class ConsoleSessionGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly sessions: GetConsoleSession,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const action = this.reflector.get<ConsoleAction | null>(ACCESS, context.getHandler());
    const req = context.switchToHttp().getRequest<ConsoleRequest>();
    const session = await this.sessions.execute(cookies(req)[SESSION_COOKIE]);
    if (!session) throw new ConsoleRefusal('login');
    if (req.method === 'POST') {
      req.consoleForm = await readForm(req);
      if (req.consoleForm.get('csrf') !== session.csrfToken) throw new ConsoleRefusal('csrf', session);
    }
    if (action && !may(session.role, action)) throw new ConsoleRefusal('forbidden', session);
    req.consoleSession = session;
    return true;
  }
}

@Catch(ConsoleRefusal)
export class ConsoleRefusalFilter implements ExceptionFilter {
  catch(refusal: ConsoleRefusal, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<ConsoleRequest>();
    const res = host.switchToHttp().getResponse<Response>();
    const lang = langOf(req, res);
    if (refusal.kind === 'login') return void res.redirect(303, '/console/login');
    const body =
      refusal.kind === 'csrf'
        ? '<p class="error">CSRF</p>'
        : `<p class="error" id="forbidden">${esc(t(lang, 'forbidden'))}</p>`;
    res
      .status(403)
      .type('html')
      .send(page(lang, '403', body, refusal.session));
  }
}

/** The session the guard found. */
export const ConsoleUser = createParamDecorator(
  (_: unknown, context: ExecutionContext): ConsoleSession =>
    context.switchToHttp().getRequest<ConsoleRequest>().consoleSession!,
);

/** The form the guard read (and checked the CSRF token of). */
export const PostedForm = createParamDecorator(
  (_: unknown, context: ExecutionContext): URLSearchParams =>
    context.switchToHttp().getRequest<ConsoleRequest>().consoleForm ?? new URLSearchParams(),
);
