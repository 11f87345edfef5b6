import { escapeAttribute, escapeText } from '../../edoc/writing/xml-writer';
import { describeRefusal, type Refusal } from '../../shared/reasons';

/** Namespace of the bus's own receipts (schemas/edoc/bus-receipt.xsd). */
export const RECEIPT_NS = 'urn:edoc-bus:receipt:1';

export type ReceiptOutcome = 'accepted' | 'duplicate' | 'rejected';

export interface ReceiptRecipient {
  addressedTo: string;
  outcome: 'queued' | 'refused';
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
  sha256: string;
  size: number;
  refusal?: Refusal;
  recipients?: ReceiptRecipient[];
  warnings?: string[];
}

/**
 * The bus's answer to every package a sender submits, as XML in the bus's own namespace: what was
 * received (SHA-256, size, the sender's message id), the outcome, the bus id, and per recipient
 * where the copy went or why it did not. Refusals carry a stable code and text in Vietnamese and
 * English. (Signed with the bus certificate once the trust module lands.)
 */
export function writeBusReceipt(r: BusReceipt): string {
  const lines: string[] = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<BusReceipt xmlns="${RECEIPT_NS}" version="1">`,
  ];
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
        p.routedTo && p.routedTo !== p.addressedTo ? `routedTo="${escapeAttribute(p.routedTo)}"` : '',
        p.reason ? `reason="${p.reason}"` : '',
      ].filter(Boolean);
      lines.push(`    <Recipient ${attrs.join(' ')}/>`);
    }
    lines.push('  </Recipients>');
  }
  if (r.warnings && r.warnings.length > 0) {
    lines.push('  <Warnings>');
    for (const w of r.warnings.slice(0, 50)) lines.push(`    <Warning>${escapeText(w)}</Warning>`);
    lines.push('  </Warnings>');
  }
  lines.push('</BusReceipt>');
  return lines.join('\n') + '\n';
}
