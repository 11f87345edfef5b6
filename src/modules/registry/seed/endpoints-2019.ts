import type { Transport } from '../domain/endpoint';

/**
 * The 95 connection points of the national axis at its launch in March 2019: 31 ministries and
 * government agencies, 63 provinces and the Party Central Office.
 *
 * Codes are in QCVN 102:2016 form. Confirmed by public sources: G01–G03, G06, G08–G12, G15–G22,
 * G27, G28, G30–G32 (Decision 09/2025 excerpt), H14 Cao Bằng, H20 Đồng Tháp, H29 TP Hồ Chí Minh,
 * H30 Hậu Giang, H41 Nghệ An, H49 Quảng Ninh, H53 Tây Ninh (via A53), H56 Thanh Hóa,
 * H57 Thừa Thiên Huế. The rest follow the same ordering rule (ministries and provinces numbered
 * in Vietnamese alphabetical order, Hậu Giang placed after TP Hồ Chí Minh) and must be checked
 * against the official directory before production use; operators correct them with
 * `edoc-bus endpoints add`. The Party Central Office's code (A01) is likewise unconfirmed.
 */
export interface SeedEndpoint {
  organId: string;
  name: string;
  transport: Transport;
}

const MINISTRIES_AND_AGENCIES: Array<[string, string]> = [
  ['G01', 'Bộ Công an'],
  ['G02', 'Bộ Công Thương'],
  ['G03', 'Bộ Giáo dục và Đào tạo'],
  ['G04', 'Bộ Giao thông vận tải'],
  ['G05', 'Bộ Kế hoạch và Đầu tư'],
  ['G06', 'Bộ Khoa học và Công nghệ'],
  ['G07', 'Bộ Lao động - Thương binh và Xã hội'],
  ['G08', 'Bộ Ngoại giao'],
  ['G09', 'Bộ Nội vụ'],
  ['G10', 'Bộ Nông nghiệp và Phát triển nông thôn'],
  ['G11', 'Bộ Quốc phòng'],
  ['G12', 'Bộ Tài chính'],
  ['G13', 'Bộ Tài nguyên và Môi trường'],
  ['G14', 'Bộ Thông tin và Truyền thông'],
  ['G15', 'Bộ Tư pháp'],
  ['G16', 'Bộ Văn hóa, Thể thao và Du lịch'],
  ['G17', 'Bộ Xây dựng'],
  ['G18', 'Bộ Y tế'],
  ['G19', 'Ngân hàng Nhà nước Việt Nam'],
  ['G20', 'Thanh tra Chính phủ'],
  ['G21', 'Ủy ban Dân tộc'],
  ['G22', 'Văn phòng Chính phủ'],
  ['G23', 'Ban Quản lý Lăng Chủ tịch Hồ Chí Minh'],
  ['G24', 'Bảo hiểm xã hội Việt Nam'],
  ['G27', 'Đài Tiếng nói Việt Nam'],
  ['G28', 'Đài Truyền hình Việt Nam'],
  ['G29', 'Học viện Chính trị quốc gia Hồ Chí Minh'],
  ['G30', 'Thông tấn xã Việt Nam'],
  ['G31', 'Viện Hàn lâm Khoa học và Công nghệ Việt Nam'],
  ['G32', 'Viện Hàn lâm Khoa học xã hội Việt Nam'],
  ['G33', 'Ủy ban Quản lý vốn nhà nước tại doanh nghiệp'],
];

const CENTRAL_CITIES = new Set(['Hà Nội', 'Hồ Chí Minh', 'Hải Phòng', 'Đà Nẵng', 'Cần Thơ']);

const PROVINCES: string[] = [
  'An Giang',
  'Bà Rịa - Vũng Tàu',
  'Bạc Liêu',
  'Bắc Giang',
  'Bắc Kạn',
  'Bắc Ninh',
  'Bến Tre',
  'Bình Dương',
  'Bình Định',
  'Bình Phước',
  'Bình Thuận',
  'Cà Mau',
  'Cần Thơ',
  'Cao Bằng',
  'Đà Nẵng',
  'Đắk Lắk',
  'Đắk Nông',
  'Điện Biên',
  'Đồng Nai',
  'Đồng Tháp',
  'Gia Lai',
  'Hà Giang',
  'Hà Nam',
  'Hà Nội',
  'Hà Tĩnh',
  'Hải Dương',
  'Hải Phòng',
  'Hòa Bình',
  'Hồ Chí Minh',
  'Hậu Giang',
  'Hưng Yên',
  'Khánh Hòa',
  'Kiên Giang',
  'Kon Tum',
  'Lai Châu',
  'Lâm Đồng',
  'Lạng Sơn',
  'Lào Cai',
  'Long An',
  'Nam Định',
  'Nghệ An',
  'Ninh Bình',
  'Ninh Thuận',
  'Phú Thọ',
  'Phú Yên',
  'Quảng Bình',
  'Quảng Nam',
  'Quảng Ngãi',
  'Quảng Ninh',
  'Quảng Trị',
  'Sóc Trăng',
  'Sơn La',
  'Tây Ninh',
  'Thái Bình',
  'Thái Nguyên',
  'Thanh Hóa',
  'Thừa Thiên Huế',
  'Tiền Giang',
  'Trà Vinh',
  'Tuyên Quang',
  'Vĩnh Long',
  'Vĩnh Phúc',
  'Yên Bái',
];

export function provinceCode(name: string): string {
  const index = PROVINCES.indexOf(name);
  if (index < 0) throw new Error(`Unknown province: ${name}`);
  return `000.00.00.H${String(index + 1).padStart(2, '0')}`;
}

export const SEED_ENDPOINTS_2019: readonly SeedEndpoint[] = [
  ...MINISTRIES_AND_AGENCIES.map(([code, name]) => ({
    organId: `000.00.00.${code}`,
    name,
    transport: 'amqp' as const,
  })),
  ...PROVINCES.map((name) => ({
    organId: provinceCode(name),
    name: CENTRAL_CITIES.has(name) ? `UBND thành phố ${name}` : `UBND tỉnh ${name}`,
    transport: 'amqp' as const,
  })),
  { organId: '000.00.00.A01', name: 'Văn phòng Trung ương Đảng', transport: 'amqp' },
];
