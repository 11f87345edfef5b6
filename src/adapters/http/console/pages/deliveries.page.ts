import type { DeliveryLine } from '../../../../modules/console/console-read-model.port';
import type { ArchivedDocument } from '../../../../modules/retention/archived-documents.port';
import { text } from '../console-request';
import { PRIORITY, type ConsoleView } from '../console-view';
import { esc, t, table, type Lang } from '../html';

/** The delivery log: the search form, one line per copy, the next page by cursor. */
export function deliveriesPage(
  v: ConsoleView,
  lang: Lang,
  q: Record<string, unknown>,
  result: { lines: DeliveryLine[]; next: string | null },
  ms: number,
  archived: ArchivedDocument[],
): string {
  const field = (name: string, label: string) =>
    `<label>${esc(label)} <input name="${name}" value="${esc(text(q[name]) ?? '')}"></label>`;
  const params = new URLSearchParams(
    Object.entries(q).filter(([k, val]) => k !== 'after' && typeof val === 'string') as Array<
      [string, string]
    >,
  );
  if (result.next) params.set('after', result.next);
  return `
      <form class="search" method="get" action="/console/deliveries">
        ${field('documentId', t(lang, 'documentId'))}${field('subject', t(lang, 'subject'))}${field('sender', t(lang, 'sender'))}
        ${field('recipient', t(lang, 'recipient'))}${field('state', t(lang, 'state'))}${field('priority', t(lang, 'priority'))}
        ${field('from', t(lang, 'fromDate'))}${field('to', t(lang, 'toDate'))}<button>${t(lang, 'search')}</button>
      </form>
      <p class="timing">${result.lines.length} · ${ms.toFixed(0)} ms</p>
      ${archived.map((a) => archivedNote(lang, a)).join('')}
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
          v.when(l.createdAt, lang),
          `<a href="/console/documents/${esc(l.busId)}">${esc(l.documentId)}</a>`,
          esc(l.subject ?? ''),
          esc(l.sender),
          esc(l.recipient),
          esc(l.state) + (l.overdue ? ` <strong class="error">${t(lang, 'overdue')}</strong>` : ''),
          esc(PRIORITY[l.priority] ?? l.priority),
        ]),
      )}
      ${result.next ? `<a rel="next" href="/console/deliveries?${esc(params.toString())}">${t(lang, 'next')}</a>` : ''}`;
}

/** Where an archived document is, and the command that brings its month back. */
export function archivedNote(lang: Lang, a: ArchivedDocument): string {
  return `<p class="archived" data-archived-in="${esc(a.archivedIn)}">${esc(a.documentId)} (${esc(a.sender)} → ${esc(a.recipients.join(', '))}) — ${t(lang, 'archivedIn')} <strong>${esc(a.archivedIn)}</strong>. ${t(lang, 'restoreWith')} <code>edoc-bus archive restore ${esc(a.archivedIn)}</code></p>`;
}
