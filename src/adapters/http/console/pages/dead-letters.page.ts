import type { ConsoleSession } from '../../../../modules/console/domain/console-user';
import { may } from '../../../../modules/console/domain/console-user';
import type { DeadLetterSummary } from '../../../../modules/dead-letters/dead-letter';
import type { ConsoleView } from '../console-view';
import { esc, t, table, type Lang } from '../html';

/** Dead letters, newest first, with a redeliver form for the roles that may. */
export function deadLettersPage(
  v: ConsoleView,
  lang: Lang,
  s: ConsoleSession,
  letters: DeadLetterSummary[],
  done: boolean,
): string {
  const canRedeliver = may(s.role, 'dead-letter.redeliver');
  return `${done ? `<p class="ok">${t(lang, 'done')}</p>` : ''}${table(
    [
      t(lang, 'time'),
      t(lang, 'queue'),
      t(lang, 'messageType'),
      t(lang, 'reason'),
      t(lang, 'redelivered'),
      '',
    ],
    letters.map((l) => [
      v.when(l.deadAt, lang),
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
}
