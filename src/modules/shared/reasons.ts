/**
 * Every reason the bus gives for refusing a package or a recipient. Codes are a public
 * contract: DMS vendors branch on them, so they never change meaning once published.
 * Each carries text in Vietnamese (first, for the clerk) and English.
 */
export const REASONS = {
  TOO_LARGE: {
    vi: 'Gói tin vượt quá dung lượng tối đa cho phép.',
    en: 'The package exceeds the maximum allowed size.',
  },
  XML_MALFORMED: {
    vi: 'Gói tin không phải là XML hợp lệ (sai cú pháp hoặc mã hóa ký tự).',
    en: 'The package is not well-formed XML (syntax or character encoding error).',
  },
  XML_DOCTYPE_FORBIDDEN: {
    vi: 'Gói tin chứa khai báo DOCTYPE/ENTITY; khai báo này bị cấm vì lý do an toàn.',
    en: 'The package contains a DOCTYPE/ENTITY declaration, which is forbidden for security reasons.',
  },
  XML_LIMIT_EXCEEDED: {
    vi: 'Cấu trúc XML vượt giới hạn (độ sâu, số phần tử hoặc số thuộc tính).',
    en: 'The XML structure exceeds a limit (nesting depth, element count or attribute count).',
  },
  NOT_EDXML: {
    vi: 'Gói tin không theo định dạng edXML (QCVN 102:2016).',
    en: 'The package is not an edXML package (QCVN 102:2016).',
  },
  TYPE_MISMATCH: {
    vi: 'Loại gói tin khai báo không khớp với nội dung (văn bản / trạng thái).',
    en: 'The declared message type does not match the content (document / status).',
  },
  XSD_INVALID: {
    vi: 'Gói tin không đúng lược đồ edXML.',
    en: 'The package does not conform to the edXML schema.',
  },
  EDXML_INVALID: {
    vi: 'Gói tin thiếu hoặc thừa thông tin bắt buộc theo QCVN 102:2016.',
    en: 'The package is missing or repeats information that QCVN 102:2016 requires once.',
  },
  SENDER_UNAUTHENTICATED: {
    vi: 'Không xác định được đơn vị gửi đã xác thực trên kết nối.',
    en: 'The authenticated sender of the connection is unknown.',
  },
  SENDER_NOT_REGISTERED: {
    vi: 'Đơn vị gửi chưa được đăng ký trên trục.',
    en: 'The sender is not registered on the bus.',
  },
  SENDER_LOCKED: {
    vi: 'Đơn vị gửi đang bị khóa trên trục.',
    en: 'The sender is locked on the bus.',
  },
  SENDER_MISMATCH: {
    vi: 'Mã đơn vị trong From không khớp với đơn vị đã xác thực trên kết nối.',
    en: 'The organ code in From does not match the authenticated connection.',
  },
  UNKNOWN_RECIPIENT: {
    vi: 'Đơn vị nhận không có trong danh bạ trục.',
    en: 'The recipient is not in the bus directory.',
  },
  RECIPIENT_LOCKED: {
    vi: 'Đơn vị nhận đang bị khóa trên trục.',
    en: 'The recipient is locked on the bus.',
  },
  NO_VALID_RECIPIENT: {
    vi: 'Không có đơn vị nhận hợp lệ nào trong gói tin.',
    en: 'The package has no valid recipient.',
  },
  DUPLICATE_CONFLICT: {
    vi: 'Đã có gói tin cùng mã văn bản và loại nghiệp vụ nhưng nội dung khác.',
    en: 'A package with the same DocumentId and business type but different content was already accepted.',
  },
  STATUS_UNKNOWN_DOCUMENT: {
    vi: 'Gói trạng thái tham chiếu tới văn bản không có trên trục.',
    en: 'The status package refers to a document the bus does not know.',
  },
  STATUS_CODE_UNKNOWN: {
    vi: 'Mã trạng thái không thuộc danh mục (01–06, 13, 15, 16).',
    en: 'The status code is not one of the defined codes (01–06, 13, 15, 16).',
  },
  STATUS_NOT_A_PARTY: {
    vi: 'Đơn vị gửi trạng thái không phải là bên nhận của văn bản được tham chiếu.',
    en: 'The sender of the status is not a party to the document it refers to.',
  },
  SIG_MISSING: {
    vi: 'Gói tin không có chữ ký số XML-DSig theo quy định.',
    en: 'The package carries no XML-DSig signature.',
  },
  SIG_INVALID: {
    vi: 'Chữ ký số không hợp lệ: nội dung đã bị thay đổi sau khi ký hoặc chữ ký không khớp.',
    en: 'The signature is invalid: the content changed after signing or the signature value does not match.',
  },
  SIG_WRAPPED: {
    vi: 'Cấu trúc chữ ký không đúng hồ sơ ký (nhiều chữ ký, vị trí sai hoặc tham chiếu không phải toàn văn bản).',
    en: 'The signature structure breaks the signing profile (several signatures, wrong place, or a reference other than the whole document).',
  },
  ALG_FORBIDDEN: {
    vi: 'Thuật toán ký hoặc băm không được phép.',
    en: 'A signature, digest or canonicalization algorithm that is not allowed.',
  },
  CERT_UNTRUSTED: {
    vi: 'Chứng thư số không được cấp bởi tổ chức chứng thực chuyên dùng Chính phủ được tin cậy.',
    en: 'The certificate does not chain to a trusted government root.',
  },
  CERT_EXPIRED: {
    vi: 'Chứng thư số đã hết hạn.',
    en: 'The certificate has expired.',
  },
  CERT_NOT_YET_VALID: {
    vi: 'Chứng thư số chưa đến thời hạn có hiệu lực.',
    en: 'The certificate is not valid yet.',
  },
  CERT_KEY_USAGE: {
    vi: 'Chứng thư số không được phép dùng để ký văn bản.',
    en: 'The certificate may not be used to sign documents (key usage).',
  },
  CERT_REVOKED: {
    vi: 'Chứng thư số đã bị thu hồi.',
    en: 'The certificate has been revoked.',
  },
  REVOCATION_UNKNOWN: {
    vi: 'Không xác định được tình trạng thu hồi của chứng thư số (OCSP/CRL không phản hồi quá thời gian cho phép).',
    en: 'The revocation status of the certificate cannot be established (OCSP/CRL unavailable beyond the grace period).',
  },
  CERT_ORG_MISMATCH: {
    vi: 'Chứng thư số không thuộc về cơ quan gửi văn bản.',
    en: 'The certificate does not belong to the sending organization.',
  },
  ORIGINAL_NOT_FOUND: {
    vi: 'Không tìm thấy văn bản gốc mà gói thu hồi/cập nhật/thay thế tham chiếu tới.',
    en: 'The original document this recall, update or replacement refers to is not known to the bus.',
  },
  NOT_A_RECIPIENT_OF_ORIGINAL: {
    vi: 'Đơn vị nhận không phải là nơi nhận của văn bản gốc.',
    en: 'A recipient of this recall, update or replacement did not receive the original document.',
  },
  COPY_UNKNOWN: {
    vi: 'Thông báo tham chiếu tới một bản văn bản mà trục không chuyển cho đơn vị này.',
    en: 'The notice refers to a copy the bus did not deliver to this endpoint.',
  },
  NOTICE_MALFORMED: {
    vi: 'Thông báo vận chuyển (đã nhận, tra cứu vết) không đúng định dạng.',
    en: 'The transport notice (delivered, trace request) is malformed.',
  },
  PDF_SIGNATURE_INVALID: {
    vi: 'Chữ ký số trong tệp PDF đính kèm không hợp lệ.',
    en: 'A signature inside an attached PDF is not valid.',
  },
  INTERNAL_ERROR: {
    vi: 'Trục gặp lỗi nội bộ khi xử lý gói tin; gói tin đã được lưu để xử lý lại.',
    en: 'The bus hit an internal error while processing the package; it was kept for reprocessing.',
  },
} as const satisfies Record<string, { vi: string; en: string }>;

export type ReasonCode = keyof typeof REASONS;

/** A refusal with its code and the specifics of this case (which element, which limit…). */
export interface Refusal {
  code: ReasonCode;
  details: string[];
}

export function refusal(code: ReasonCode, ...details: string[]): Refusal {
  return { code, details };
}

export function describeRefusal(r: Refusal): { vi: string; en: string } {
  const base = REASONS[r.code];
  if (r.details.length === 0) return { vi: base.vi, en: base.en };
  const specifics = r.details.slice(0, 20).join('; ');
  return { vi: `${base.vi} Chi tiết: ${specifics}`, en: `${base.en} Details: ${specifics}` };
}
