import type { Organization, ResponseFor, StaffInfo, UnknownElement } from './edoc-package';

/**
 * Status codes carried by status packages. 01–06 move a received document forward; 13 asks to
 * take a document back; 15/16 answer an update or recall request.
 */
export const STATUS_CODES = {
  '01': { vi: 'Đã đến', en: 'arrived' },
  '02': { vi: 'Từ chối tiếp nhận', en: 'rejected' },
  '03': { vi: 'Đã tiếp nhận', en: 'accepted' },
  '04': { vi: 'Đã phân công', en: 'assigned' },
  '05': { vi: 'Đang xử lý', en: 'processing' },
  '06': { vi: 'Hoàn thành', en: 'completed' },
  '13': { vi: 'Đề nghị lấy lại/thu hồi', en: 'recall requested' },
  '15': { vi: 'Đồng ý cập nhật/thu hồi', en: 'recall agreed' },
  '16': { vi: 'Từ chối cập nhật/thu hồi', en: 'recall refused' },
} as const;

export type StatusCode = keyof typeof STATUS_CODES;

export function isKnownStatusCode(code: string): code is StatusCode {
  return Object.prototype.hasOwnProperty.call(STATUS_CODES, code);
}

export interface StatusPackage {
  kind: 'status';
  from: Organization;
  responseFor: ResponseFor;
  staffInfo?: StaffInfo;
  statusCode: string;
  description?: string;
  timestamp?: string;
  extras: UnknownElement[];
}
