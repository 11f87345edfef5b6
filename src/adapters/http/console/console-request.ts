import type { Request, Response } from 'express';
import { timingSafeEqual } from 'node:crypto';
import type { ConsoleSession } from '../../../modules/console/domain/console-user';
import { readBody } from '../read-body';
import type { Lang } from './html';

/** The session cookie: an opaque id whose hash is stored (HttpOnly, SameSite=Strict, Secure over TLS). */
export const SESSION_COOKIE = 'edoc_console';
/** Login CSRF: the login form's token, also set as a cookie only this site's pages send back. */
export const LOGIN_COOKIE = 'edoc_login';

/** What the session guard leaves on the request for the handler. */
export interface ConsoleRequest extends Request {
  consoleSession?: ConsoleSession;
  consoleForm?: URLSearchParams;
}

export function cookies(req: Request): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i).trim()] = decodeURIComponent(part.slice(i + 1).trim());
  }
  return out;
}

/** Vietnamese unless the user chose English (`?lang=en`, remembered in a cookie). */
export function langOf(req: Request, res: Response): Lang {
  const asked = typeof req.query['lang'] === 'string' ? req.query['lang'] : undefined;
  if (asked === 'vi' || asked === 'en') {
    res.cookie('edoc_lang', asked, { path: '/console', sameSite: 'strict', httpOnly: true });
    return asked;
  }
  return cookies(req)['edoc_lang'] === 'en' ? 'en' : 'vi';
}

/** A posted form, at most 64 KiB (a larger one reads as empty and fails its CSRF check). */
export async function readForm(req: Request): Promise<URLSearchParams> {
  const body = await readBody(req, 64 * 1024);
  return new URLSearchParams(body.truncated ? '' : body.bytes.toString('utf8'));
}

/** A query or form value, trimmed; null when absent or blank. */
export const text = (q: unknown): string | null =>
  typeof q === 'string' && q.trim() !== '' ? q.trim() : null;

export function sameToken(given: string | null, expected: string | undefined): boolean {
  if (!given || !expected || given.length !== expected.length) return false;
  return timingSafeEqual(Buffer.from(given), Buffer.from(expected));
}
