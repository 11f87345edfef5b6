import type { ConsoleSession } from '../../../../modules/console/domain/console-user';
import { may } from '../../../../modules/console/domain/console-user';
import type { ConsoleEndpoint } from '../../../../modules/console/use-cases/list-console-endpoints.use-case';
import { SIGNATURE_POLICIES, type SignaturePolicy } from '../../../../modules/trust/policy/signature-policy';
import type { ConsoleView } from '../console-view';
import { esc, t, table, type Lang } from '../html';

/** Every endpoint with what it has been doing; lock and policy forms for the roles that may use them. */
export function endpointsPage(
  v: ConsoleView,
  lang: Lang,
  s: ConsoleSession,
  endpoints: ConsoleEndpoint[],
  done: boolean,
): string {
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
  return `${done ? `<p class="ok">${t(lang, 'done')}</p>` : ''}${table(
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
      e.lastPackageAt ? v.when(e.lastPackageAt, lang, false) : '—',
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
}
