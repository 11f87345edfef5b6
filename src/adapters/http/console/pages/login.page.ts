import { esc, t, type Lang } from '../html';

export function loginForm(lang: Lang, error: string | null, csrf: string): string {
  return `${error ? `<p class="error">${esc(error)}</p>` : ''}
    <form method="post" action="/console/login"><input type="hidden" name="csrf" value="${esc(csrf)}">
      <p><label>${t(lang, 'username')} <input name="username" autocomplete="username" required></label></p>
      <p><label>${t(lang, 'password')} <input name="password" type="password" autocomplete="current-password" required></label></p>
      <p><button>${t(lang, 'login')}</button></p>
    </form>`;
}
