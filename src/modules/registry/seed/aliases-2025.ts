import type { OrganAlias } from '../domain/endpoint';
import { provinceCode } from './endpoints-2019';

/**
 * The province mergers in force from 1 July 2025 (Resolution 202/2025/QH15): 63 provinces became 34.
 * Decision 09/2025 keeps the level-1 code of the province whose name the merged province takes;
 * the other codes are closed. Mail addressed to a closed code goes to its successor once the
 * operator closes the old endpoint (`edoc-bus endpoints close`).
 */
const MERGERS: Array<[successor: string, absorbed: string[]]> = [
  ['Tuyên Quang', ['Hà Giang']],
  ['Lào Cai', ['Yên Bái']],
  ['Thái Nguyên', ['Bắc Kạn']],
  ['Phú Thọ', ['Vĩnh Phúc', 'Hòa Bình']],
  ['Bắc Ninh', ['Bắc Giang']],
  ['Hưng Yên', ['Thái Bình']],
  ['Hải Phòng', ['Hải Dương']],
  ['Ninh Bình', ['Hà Nam', 'Nam Định']],
  ['Quảng Trị', ['Quảng Bình']],
  ['Đà Nẵng', ['Quảng Nam']],
  ['Quảng Ngãi', ['Kon Tum']],
  ['Gia Lai', ['Bình Định']],
  ['Khánh Hòa', ['Ninh Thuận']],
  ['Lâm Đồng', ['Đắk Nông', 'Bình Thuận']],
  ['Đắk Lắk', ['Phú Yên']],
  ['Hồ Chí Minh', ['Bình Dương', 'Bà Rịa - Vũng Tàu']],
  ['Đồng Nai', ['Bình Phước']],
  ['Tây Ninh', ['Long An']],
  ['Cần Thơ', ['Sóc Trăng', 'Hậu Giang']],
  ['Vĩnh Long', ['Bến Tre', 'Trà Vinh']],
  ['Đồng Tháp', ['Tiền Giang']],
  ['Cà Mau', ['Bạc Liêu']],
  ['An Giang', ['Kiên Giang']],
];

export const SEED_ALIASES_2025: readonly OrganAlias[] = MERGERS.flatMap(([successor, absorbed]) =>
  absorbed.map((name) => ({
    closedCode: provinceCode(name),
    successorCode: provinceCode(successor),
    effectiveFrom: '2025-07-01',
    reason: `Sáp nhập vào ${successor} (Nghị quyết 202/2025/QH15)`,
  })),
);
