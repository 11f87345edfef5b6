import {
  c14nAttribute as escapeAttribute,
  c14nText as escapeText,
} from '../../trust/xmldsig/canonical-signer';
import type { SignatureRecord } from '../../trust/signature-record';
import { describeRefusal, type Refusal } from '../../shared/reasons';

/** Namespace of the bus's own receipts (schemas/edoc/bus-receipt.xsd). */
export const RECEIPT_NS = 'urn:edoc-bus:receipt:1';

/** `withdrawn` and `overdue` are notices about an accepted document rather than answers to a submission. */
export type ReceiptOutcome = 'accepted' | 'duplicate' | 'rejected' | 'withdrawn' | 'overdue';

export interface ReceiptRecipient {
  addressedTo: string;
  outcome: 'queued' | 'refused' | 'withdrawn' | 'overdue-arrival' | 'overdue-decision';
  routedTo?: string;
  reason?: Refusal['code'];
}

export interface BusReceipt {
  receiptId: string;
  issuedAt: Date;
  outcome: ReceiptOutcome;
  packageKind: 'edoc' | 'status' | null;
  /** The sender the receipt goes to (the authenticated connection). */
  to: string;
  /** The bus id of the accepted package (or of the original, for a duplicate). */
  busId?: string;
  documentId?: string | null;
  statusCode?: string;
  transportMessageId?: string | null;
  /** What was received; absent on notices (withdrawn, overdue), which are about an earlier package. */
  sha256?: string;
  size?: number;
  refusal?: Refusal;
  recipients?: ReceiptRecipient[];
  warnings?: string[];
  signature?: SignatureRecord;
}

/**
 * The bus's answer to every package a sender submits, as XML in the bus's own namespace: what was
 * received (SHA-256, size, the sender's message id), the outcome, the bus id, per recipient where
 * the copy went or why it did not, and what the bus found of the signature (signer, revocation
 * evidence and its age, policy flags). Refusals carry a stable code and text in Vietnamese and
 * English. Written directly in canonical form (C14N) so the bus can sign it cheaply (see
 * CanonicalSigner); returns the root element only, the issuer adds the XML declaration.
 */
export function writeBusReceipt(r: BusReceipt): string {
  const lines: string[] = [`<BusReceipt xmlns="${RECEIPT_NS}" version="1">`];
  const field = (name: string, value: string | number | null | undefined) => {
    if (value !== undefined && value !== null && value !== '')
      lines.push(`  <${name}>${escapeText(String(value))}</${name}>`);
  };
  field('ReceiptId', r.receiptId);
  field('IssuedAt', r.issuedAt.toISOString());
  field('Outcome', r.outcome);
  field('PackageKind', r.packageKind);
  field('To', r.to);
  field('BusId', r.busId);
  field('DocumentId', r.documentId);
  field('StatusCode', r.statusCode);
  field('TransportMessageId', r.transportMessageId);
  field('Sha256', r.sha256);
  field('Size', r.size);
  if (r.refusal) {
    const text = describeRefusal(r.refusal);
    lines.push(`  <Reason code="${r.refusal.code}">`);
    lines.push(`    <Text lang="vi">${escapeText(text.vi)}</Text>`);
    lines.push(`    <Text lang="en">${escapeText(text.en)}</Text>`);
    for (const d of r.refusal.details.slice(0, 50)) lines.push(`    <Detail>${escapeText(d)}</Detail>`);
    lines.push('  </Reason>');
  }
  if (r.recipients && r.recipients.length > 0) {
    lines.push('  <Recipients>');
    for (const p of r.recipients) {
      const attrs = [
        `organId="${escapeAttribute(p.addressedTo)}"`,
        `outcome="${p.outcome}"`,
        // C14N order: attributes sorted by name.
        p.reason ? `reason="${p.reason}"` : '',
        p.routedTo && p.routedTo !== p.addressedTo ? `routedTo="${escapeAttribute(p.routedTo)}"` : '',
      ].filter(Boolean);
      lines.push(`    <Recipient ${attrs.join(' ')}></Recipient>`);
    }
    lines.push('  </Recipients>');
  }
  if (r.signature) writeSignatureRecord(lines, r.signature);
  if (r.warnings && r.warnings.length > 0) {
    lines.push('  <Warnings>');
    for (const w of r.warnings.slice(0, 50)) lines.push(`    <Warning>${escapeText(w)}</Warning>`);
    lines.push('  </Warnings>');
  }
  lines.push('</BusReceipt>');
  return lines.join('\n');
}

function writeSignatureRecord(lines: string[], s: SignatureRecord): void {
  lines.push(`  <SignatureCheck policy="${s.policy}" status="${s.status}">`);
  if (s.signer) {
    lines.push(
      `    <Signer fingerprint="${s.signer.fingerprint}" organId="${escapeAttribute(s.signer.organId ?? '')}" serialNumber="${s.signer.serialNumber}">${escapeText(s.signer.subject)}</Signer>`,
    );
  }
  for (const r of s.revocation ?? []) {
    lines.push(
      `    <Revocation ageSeconds="${r.ageSeconds}" method="${r.method}" nextUpdate="${r.nextUpdate}" stale="${r.stale}" status="${r.status}" thisUpdate="${r.thisUpdate}">${escapeText(r.subject)}</Revocation>`,
    );
  }
  for (const f of s.flags) lines.push(`    <Flag>${escapeText(f)}</Flag>`);
  for (const p of s.pdf ?? []) {
    // C14N order: attributes sorted by name.
    const attrs = [
      `attachment="${escapeAttribute(p.attachment)}"`,
      p.entry ? `entry="${escapeAttribute(p.entry)}"` : '',
      p.organId ? `organId="${escapeAttribute(p.organId)}"` : '',
      p.reason ? `reason="${escapeAttribute(p.reason.slice(0, 300))}"` : '',
      p.signingTime ? `signingTime="${p.signingTime}"` : '',
      `status="${p.status}"`,
    ].filter(Boolean);
    lines.push(`    <PdfSignature ${attrs.join(' ')}>${escapeText(p.signer ?? '')}</PdfSignature>`);
  }
  lines.push('  </SignatureCheck>');
}
