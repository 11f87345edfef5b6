import { randomBytes } from 'node:crypto';
import type { Endpoint } from '../../modules/registry/domain/endpoint';
import { writeEdocPackage } from '../../modules/edoc/writing/write-edoc-package';
import { formatEdxmlDate, formatEdxmlTimestamp } from '../../modules/edoc/writing/write-status-package';

const SUBJECTS = [
  'V/v triển khai Chương trình chuyển đổi số quốc gia',
  'V/v báo cáo tình hình kinh tế - xã hội tháng',
  'V/v tăng cường công tác phòng, chống thiên tai',
  'V/v góp ý dự thảo Nghị định',
  'V/v thực hiện cải cách thủ tục hành chính',
  'V/v tổ chức hội nghị trực tuyến toàn quốc',
];

export interface SampleDocumentSpec {
  from: Pick<Endpoint, 'organId' | 'name'>;
  to: Array<Pick<Endpoint, 'organId' | 'name'>>;
  number: number;
  priority?: number;
  attachmentBytes?: number;
  /** The attached file itself (e.g. a signed PDF); by default random bytes behind a PDF header. */
  attachment?: { content: Buffer; name?: string; contentType?: string };
  at?: Date;
  /** A recall (1), update (2) or replacement (3) of the sender's earlier document. */
  change?: { businessDocType: 1 | 2 | 3; originalDocumentId: string; reason?: string };
}

const CHANGE_REASONS = { 1: 'Thu hồi văn bản', 2: 'Cập nhật văn bản', 3: 'Thay thế văn bản' } as const;

/**
 * A realistic new-document package (công văn) with a PDF-like attachment, as a DMS would send it:
 * used by the demo and the benchmark, and by tests that need valid traffic.
 */
export function sampleDocument(spec: SampleDocumentSpec): { documentId: string; xml: string } {
  const at = spec.at ?? new Date();
  const notation = `${spec.from.organId.slice(-3)}-VP`;
  const documentId = `${spec.from.organId},${formatEdxmlDate(at)},${spec.number}/${notation}`;
  const pdf =
    spec.attachment?.content ??
    Buffer.concat([
      Buffer.from('%PDF-1.7\n'),
      randomBytes(Math.max(0, (spec.attachmentBytes ?? 8 * 1024) - 9)),
    ]);
  const xml = writeEdocPackage({
    header: {
      from: { organId: spec.from.organId, organName: spec.from.name, organizationInCharge: spec.from.name },
      to: spec.to.map((t) => ({ organId: t.organId, organName: t.name })),
      documentId,
      code: { codeNumber: String(spec.number), codeNotation: notation },
      promulgationInfo: { place: 'Hà Nội', promulgationDate: formatEdxmlDate(at) },
      documentType: { type: '1', typeDetail: '0', typeName: 'Công văn' },
      subject: SUBJECTS[spec.number % SUBJECTS.length],
      content: 'Nội dung văn bản điện tử gửi qua trục liên thông.',
      signerInfo: { competence: 'KT. BỘ TRƯỞNG', position: 'THỨ TRƯỞNG', fullName: 'Nguyễn Văn A' },
      toPlaces: ['Như trên', 'Lưu: VT'],
      otherInfo: {
        priority: spec.priority ?? 0,
        sphereOfPromulgation: 'Lưu hành nội bộ',
        pageAmount: '2',
        appendixes: [],
      },
      responseFor: [],
      steeringType: '0',
    },
    traces: [{ organId: spec.from.organId, timestamp: formatEdxmlTimestamp(at) }],
    business: spec.change
      ? {
          businessDocType: spec.change.businessDocType,
          businessDocReason: spec.change.reason ?? CHANGE_REASONS[spec.change.businessDocType],
          // Updates and recalls name the original in Bussiness/DocumentId, replacements in ReplacementInfo.
          documentId: spec.change.businessDocType === 3 ? undefined : spec.change.originalDocumentId,
          paper: '0',
          receivers: [],
          replacements:
            spec.change.businessDocType === 3
              ? [{ documentId: spec.change.originalDocumentId, organIds: spec.to.map((t) => t.organId) }]
              : [],
        }
      : { businessDocType: 0, paper: '0', receivers: [], replacements: [] },
    attachments: [
      {
        contentId: `${spec.number}-${randomBytes(4).toString('hex')}`,
        attachmentName: spec.attachment?.name ?? `${spec.number}-${notation}.signed.pdf`,
        contentType: spec.attachment?.contentType ?? 'application/pdf',
        description: 'Văn bản ký số',
        content: pdf,
      },
    ],
  });
  return { documentId, xml };
}
