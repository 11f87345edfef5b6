/**
 * Logs in to the console as a browser does: fetches the login form (its CSRF token and the cookie
 * that goes with it), posts it, and returns the session cookie (`''` if the login failed).
 */
export async function consoleLogin(base: string, username: string, password: string): Promise<string> {
  const form = await fetch(`${base}/console/login`);
  const csrf = /name="csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
  const loginCookie = cookieNamed(form.headers.getSetCookie(), 'edoc_login');
  const r = await fetch(`${base}/console/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: loginCookie },
    body: new URLSearchParams({ username, password, csrf }),
    redirect: 'manual',
  });
  return cookieNamed(r.headers.getSetCookie(), 'edoc_console');
}

function cookieNamed(setCookies: string[], name: string): string {
  return setCookies.map((c) => c.split(';')[0]!).find((c) => c.startsWith(`${name}=`)) ?? '';
}
