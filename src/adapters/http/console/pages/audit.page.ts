import type { ConsoleView } from '../console-view';
import { t, type Lang } from '../html';

/** The audit export form (auditors and admins), and how to verify what it gives offline. */
export function auditPage(v: ConsoleView, lang: Lang): string {
  const day = (d: Date) => v.clock.day(d);
  const now = new Date();
  return `<form method="get" action="/console/audit/export" id="audit-export">
      <label>${t(lang, 'fromDate')} <input name="from" value="${day(new Date(now.getTime() - 30 * 86_400_000))}"></label>
      <label>${t(lang, 'toDate')} <input name="to" value="${day(new Date(now.getTime() + 86_400_000))}"></label>
      <label>${t(lang, 'recipient')} <input name="endpoint"></label>
      <button>${t(lang, 'export')}</button></form>
      <p>${t(lang, 'verifyOffline')}: <code>edoc-bus audit verify &lt;file&gt;</code></p>`;
}
