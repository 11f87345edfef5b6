import type { ChangeKind } from '../../delivery/domain/delivery-lifecycle';
import type { EdocPackage } from '../../edoc/domain/edoc-package';

const KINDS: Record<number, ChangeKind> = { 1: 'recall', 2: 'update', 3: 'replacement' };

/**
 * What a recall (BussinessDocType 1), update (2) or replacement (3) refers to: the DocumentId of the
 * sender's earlier document. The official samples carry it in different places per type: an update
 * in Bussiness/DocumentId, a replacement in ReplacementInfoList, a recall in MessageHeader/ResponseFor.
 */
export function changeReference(model: EdocPackage): { kind: ChangeKind; documentId: string } | null {
  const type = model.business?.businessDocType ?? 0;
  const kind = KINDS[type];
  if (!kind) return null;
  const documentId =
    model.business?.documentId ||
    model.business?.replacements.find((r) => r.documentId)?.documentId ||
    model.header.responseFor.find((r) => r.documentId)?.documentId ||
    model.header.documentId;
  return { kind, documentId };
}
