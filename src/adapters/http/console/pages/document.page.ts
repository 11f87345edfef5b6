import type { DocumentEvidence } from '../../../../modules/console/console-read-model.port';
import type { DocumentTrace } from '../../../../modules/delivery/domain/document-trace';
import { PRIORITY, type ConsoleView } from '../console-view';
import { esc, t, table, type Lang } from '../html';

/** One document as an operator sees it: every recipient's copy and its history, the signature evidence, the receipts. */
export function documentPage(
  v: ConsoleView,
  lang: Lang,
  { trace, evidence }: { trace: DocumentTrace; evidence: DocumentEvidence },
): string {
  const sig = evidence.signature;
  const signature = !sig
    ? `<p>—</p>`
    : `<p id="signature">${esc(sig.status)} · ${t(lang, 'policy')}: ${esc(sig.policy)}${sig.flags.length ? ` · <span class="error">${sig.flags.map(esc).join('; ')}</span>` : ''}</p>
      ${
        sig.signer
          ? table(
              [t(lang, 'certificate'), t(lang, 'serial'), t(lang, 'expires')],
              [[esc(sig.signer.subject), esc(sig.signer.serialNumber), esc(sig.signer.notAfter)]],
            )
          : ''
      }
      ${sig.chain?.length ? `<p>${t(lang, 'chain')}: ${sig.chain.map(esc).join(' → ')}</p>` : ''}
      ${
        sig.revocation?.length
          ? table(
              [
                t(lang, 'certificate'),
                t(lang, 'method'),
                t(lang, 'revocationStatus'),
                t(lang, 'evidenceAge'),
                t(lang, 'address'),
              ],
              sig.revocation.map((r) => [
                esc(r.subject),
                esc(r.method.toUpperCase()),
                esc(r.status),
                `${r.ageSeconds} s${r.stale ? ` <span class="error">(${t(lang, 'onGrace')})</span>` : ''}`,
                esc(r.url),
              ]),
              'revocation-evidence',
            )
          : ''
      }
      ${
        sig.pdf?.length
          ? table(
              ['PDF', t(lang, 'certificate'), t(lang, 'revocationStatus')],
              sig.pdf.map((p) => [
                esc(`${p.attachment}${p.entry ? ` / ${p.entry}` : ''}`),
                esc(p.signer ?? ''),
                esc(`${p.status}${p.reason ? `: ${p.reason}` : ''}`),
              ]),
            )
          : ''
      }`;
  const receipts = table(
    [t(lang, 'time'), t(lang, 'recipient'), t(lang, 'outcome'), t(lang, 'reason')],
    evidence.receipts.map((r) => [v.when(r.issuedAt, lang), esc(r.to), esc(r.outcome), esc(r.reason ?? '')]),
    'receipts',
  );
  return `
      <p><strong>${esc(trace.documentId)}</strong> — ${esc(trace.subject ?? '')}<br>
      ${t(lang, 'sender')}: ${esc(trace.sender)} · ${t(lang, 'priority')}: ${esc(PRIORITY[trace.priority] ?? trace.priority)} · ${v.when(trace.acceptedAt, lang)}
      ${trace.relatedPackageId ? `<br>→ <a href="/console/documents/${esc(trace.relatedPackageId)}">${esc(trace.relatedPackageId)}</a>` : ''}</p>
      ${trace.changes.map((c) => `<p>↳ <a href="/console/documents/${esc(c.busId)}">${esc(c.busId)}</a> (${c.businessDocType})</p>`).join('')}
      ${trace.copies
        .map(
          (
            c,
          ) => `<h2 class="copy">${esc(c.recipient)}: ${esc(c.state)}${c.overdue ? ` <span class="error">${t(lang, 'overdue')}</span>` : ''}</h2>
      ${table(
        [
          t(lang, 'time'),
          t(lang, 'event'),
          t(lang, 'statusCode'),
          t(lang, 'source'),
          t(lang, 'state'),
          t(lang, 'flag'),
        ],
        c.history.map((h) => [
          v.when(h.at, lang),
          esc(h.event),
          esc(h.statusCode ?? ''),
          esc(h.source),
          esc(`${h.stateBefore ?? ''} → ${h.stateAfter ?? ''}`),
          esc(h.flag ?? ''),
        ]),
      )}`,
        )
        .join('')}
      <h2>${t(lang, 'signatureEvidence')}</h2>${signature}
      <h2>${t(lang, 'receiptsIssued')}</h2>${receipts}`;
}
