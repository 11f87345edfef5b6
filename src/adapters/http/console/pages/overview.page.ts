import type { ConsoleOverview } from '../../../../modules/console/use-cases/get-console-overview.use-case';
import {
  needsAttention,
  type OverviewAttention,
} from '../../../../modules/console/domain/overview-attention';
import type { ConsoleView } from '../console-view';
import { esc, hourlyChart, t, table, type Lang } from '../html';

/**
 * Problems first: endpoints with a backlog or overdue copies, failing revocation sources,
 * expiring certificates and dead letters, highlighted at the top; the quiet endpoints in one line;
 * then the last day's figures.
 */
export function overviewPage(v: ConsoleView, lang: Lang, o: ConsoleOverview, nowMs: number): string {
  return `${attentionBlock(v, lang, o.attention, nowMs)}
      <h2>${t(lang, 'documentsPerHour')}</h2>
      ${hourlyChart(o.documentsPerHour, nowMs, v.clock, lang)}
      <h2>${t(lang, 'outcomes')}</h2>
      ${table(
        ['', t(lang, 'reason'), '#'],
        o.outcomes.map((x) => [esc(x.outcome), esc(x.reason ?? ''), String(x.count)]),
      )}
      <h2>${t(lang, 'backlog')}</h2>
      ${backlogTable(lang, o.backlog, 'backlog')}
      <h2>${t(lang, 'expiring')}</h2>
      ${
        o.expiringCertificates.length === 0
          ? `<p class="ok">${t(lang, 'noneExpiring')}</p>`
          : table(
              [t(lang, 'certificate'), t(lang, 'kind'), t(lang, 'expires'), t(lang, 'lastSeen')],
              o.expiringCertificates.map((c) => [
                esc(c.organId ? `${c.organId} — ${c.subject}` : c.subject),
                esc(c.source),
                `<span class="${c.notAfter.getTime() < nowMs ? 'error' : ''}">${v.when(c.notAfter, lang, false)}</span>`,
                c.lastSeen ? v.when(c.lastSeen, lang, false) : '',
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
                r.lastSuccessAt ? v.when(r.lastSuccessAt, lang, false) : '',
                r.lastFailureAt
                  ? `<span class="error">${v.when(r.lastFailureAt, lang, false)}: ${esc(r.lastError ?? '')}</span>`
                  : '',
                `<span class="${r.failuresInARow > 0 ? 'error' : 'ok'}">${r.failuresInARow}</span>`,
                String(r.certificates),
                `<span class="${r.onGrace > 0 ? 'error' : ''}">${r.onGrace}</span>`,
              ]),
              'revocation-sources',
            )
      }
      <p>${t(lang, 'deadLetters')}: <strong id="dead-letters">${o.deadLetters}</strong> · ${t(lang, 'auditHead')}: ${o.auditHead ?? 0}</p>`;
}

function attentionBlock(v: ConsoleView, lang: Lang, a: OverviewAttention, nowMs: number): string {
  const quiet = `<p id="quiet-endpoints">${a.quietEndpoints} ${t(lang, 'quietEndpoints')}</p>`;
  if (!needsAttention(a))
    return `<section id="attention" class="calm"><p class="ok">${t(lang, 'nothingNeedsAttention')}</p>${quiet}</section>`;
  const items: string[] = [];
  if (a.endpoints.length > 0)
    items.push(
      `<h3>${t(lang, 'endpointsBehind')} (${a.overdueCopies} ${t(lang, 'overdueCopies')})</h3>${backlogTable(lang, a.endpoints, 'attention-endpoints')}`,
    );
  if (a.failingRevocationSources.length > 0)
    items.push(
      `<h3>${t(lang, 'failingSources')}</h3><ul id="attention-sources">${a.failingRevocationSources
        .map(
          (r) =>
            `<li>${esc(r.url)} — ${r.failuresInARow} ${t(lang, 'failuresInARow')}, ${r.onGrace} ${t(lang, 'onGrace')}${r.lastError ? `: ${esc(r.lastError)}` : ''}</li>`,
        )
        .join('')}</ul>`,
    );
  if (a.expiringCertificates.length > 0)
    items.push(
      `<h3>${t(lang, 'expiring')}</h3><ul id="attention-certificates">${a.expiringCertificates
        .map(
          (c) =>
            `<li class="${c.notAfter.getTime() < nowMs ? 'error' : ''}">${esc(c.organId ?? c.subject)} (${esc(c.source)}) — ${v.when(c.notAfter, lang, false)}</li>`,
        )
        .join('')}</ul>`,
    );
  if (a.deadLetters > 0)
    items.push(
      `<h3><a href="/console/dead-letters">${t(lang, 'deadLetters')}</a>: <span id="attention-dead-letters">${a.deadLetters}</span></h3>`,
    );
  return `<section id="attention" class="attention"><h2>${t(lang, 'attention')}</h2>${items.join('')}${quiet}</section>`;
}

function backlogTable(lang: Lang, rows: ConsoleOverview['backlog'], id: string): string {
  return table(
    [t(lang, 'recipient'), t(lang, 'waiting'), t(lang, 'oldest'), t(lang, 'overdue')],
    rows.map((b) => [
      esc(b.endpoint),
      String(b.waiting),
      b.oldestSeconds.toFixed(0),
      `<span class="${b.overdue > 0 ? 'error' : ''}">${b.overdue}</span>`,
    ]),
    id,
  );
}
