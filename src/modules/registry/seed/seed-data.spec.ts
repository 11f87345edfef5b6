import { isQcvn102Code } from '../domain/organ-code';
import { SEED_ALIASES_2025 } from './aliases-2025';
import { provinceCode, SEED_ENDPOINTS_2019 } from './endpoints-2019';

describe('the 2019 registry and the 2025 mergers', () => {
  it('has the 95 connection points of the launch: 31 ministries and agencies, 63 provinces, the Party Central Office', () => {
    expect(SEED_ENDPOINTS_2019).toHaveLength(95);
    expect(SEED_ENDPOINTS_2019.filter((e) => /\.G\d\d$/.test(e.organId))).toHaveLength(31);
    expect(SEED_ENDPOINTS_2019.filter((e) => /\.H\d\d$/.test(e.organId))).toHaveLength(63);
    expect(SEED_ENDPOINTS_2019.filter((e) => /\.A\d\d$/.test(e.organId))).toHaveLength(1);
    expect(new Set(SEED_ENDPOINTS_2019.map((e) => e.organId)).size).toBe(95);
    expect(SEED_ENDPOINTS_2019.every((e) => isQcvn102Code(e.organId))).toBe(true);
  });

  it('matches the codes confirmed by public sources', () => {
    expect(provinceCode('Cao Bằng')).toBe('000.00.00.H14');
    expect(provinceCode('Đồng Tháp')).toBe('000.00.00.H20');
    expect(provinceCode('Hồ Chí Minh')).toBe('000.00.00.H29');
    expect(provinceCode('Hậu Giang')).toBe('000.00.00.H30');
    expect(provinceCode('Nghệ An')).toBe('000.00.00.H41');
    expect(provinceCode('Quảng Ninh')).toBe('000.00.00.H49');
    expect(provinceCode('Tây Ninh')).toBe('000.00.00.H53');
    expect(provinceCode('Thanh Hóa')).toBe('000.00.00.H56');
    expect(provinceCode('Thừa Thiên Huế')).toBe('000.00.00.H57');
    expect(SEED_ENDPOINTS_2019.find((e) => e.organId === '000.00.00.G22')?.name).toBe('Văn phòng Chính phủ');
  });

  it('closes 29 province codes in 2025, leaving 34 provinces, each successor a surviving province', () => {
    expect(SEED_ALIASES_2025).toHaveLength(29);
    const closed = new Set(SEED_ALIASES_2025.map((a) => a.closedCode));
    const successors = new Set(SEED_ALIASES_2025.map((a) => a.successorCode));
    expect([...successors].some((s) => closed.has(s))).toBe(false);
    expect(63 - closed.size).toBe(34);
  });
});
