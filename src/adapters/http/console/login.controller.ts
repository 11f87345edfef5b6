import { Controller, Get, Post, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { randomBytes } from 'node:crypto';
import { LogIn, type LogInRefusal } from '../../../modules/console/use-cases/log-in.use-case';
import { LogOut } from '../../../modules/console/use-cases/log-out.use-case';
import { ConsolePage } from './console-access';
import { cookies, langOf, LOGIN_COOKIE, readForm, sameToken, SESSION_COOKIE } from './console-request';
import { page, t, type Word } from './html';
import { loginForm } from './pages/login.page';

/** The answer to each refused login: a form not from this site is forbidden, a wrong login unauthorized. */
const LOGIN_REFUSALS: Record<LogInRefusal, [status: number, message: Word]> = {
  'form-refused': [403, 'loginExpired'],
  'bad-credentials': [401, 'badLogin'],
  locked: [401, 'lockedLogin'],
};

/**
 * Logging in and out of the operator console at /console. Sessions are opaque cookies
 * (HttpOnly, SameSite=Strict, Secure over HTTPS) whose hash is stored; the login form carries its
 * own CSRF token.
 */
@Controller('console')
export class LoginController {
  constructor(
    private readonly login: LogIn,
    private readonly logout: LogOut,
  ) {}

  @Get()
  root(@Res() res: Response): void {
    res.redirect(303, '/console/overview');
  }

  @Get('login')
  loginPage(@Req() req: Request, @Res() res: Response): void {
    const lang = langOf(req, res);
    res.type('html').send(page(lang, t(lang, 'login'), loginForm(lang, null, loginToken(req, res)), null));
  }

  @Post('login')
  async doLogin(@Req() req: Request, @Res() res: Response): Promise<void> {
    const lang = langOf(req, res);
    const f = await readForm(req);
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
        .send(page(lang, t(lang, 'login'), loginForm(lang, t(lang, message), loginToken(req, res)), null));
    }
    res.clearCookie(LOGIN_COOKIE, { path: '/console/login' });
    res.cookie(SESSION_COOKIE, result.sessionId, {
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
  @ConsolePage()
  async doLogout(@Req() req: Request, @Res() res: Response): Promise<void> {
    await this.logout.execute(cookies(req)[SESSION_COOKIE] ?? '');
    res.clearCookie(SESSION_COOKIE, { path: '/console' });
    res.redirect(303, '/console/login');
  }
}

/**
 * A fresh login CSRF token, set as a cookie and written into the form: a login posted from
 * another site cannot carry the cookie (SameSite=Strict) nor read the token, so nobody can log a
 * victim's browser into the attacker's account.
 */
function loginToken(req: Request, res: Response): string {
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
