import { ConsoleClock } from './html';

describe('the console clock (times as people in Vietnam read them)', () => {
  const vn = new ConsoleClock('Asia/Ho_Chi_Minh');
  const at = new Date('2026-12-06T20:05:09Z'); // 03:05 the next morning in Hà Nội

  it('shows times in the zone, Vietnamese or English style', () => {
    expect(vn.format(at, 'vi')).toBe('07/12/2026 03:05:09');
    expect(vn.format(at, 'en', false)).toBe('2026-12-07 03:05');
    expect(vn.zoneLabel).toBe('GMT+7');
    expect(vn.day(at)).toBe('2026-12-07');
  });

  it('reads dates typed into a form in the zone, and dates with an offset as they say', () => {
    expect(vn.parse('2026-12-07')?.toISOString()).toBe('2026-12-06T17:00:00.000Z');
    expect(vn.parse('07/12/2026 03:05')?.toISOString()).toBe('2026-12-06T20:05:00.000Z');
    expect(vn.parse('2026-12-07T03:05:09')?.toISOString()).toBe('2026-12-06T20:05:09.000Z');
    expect(vn.parse('2026-12-06T20:05:09Z')?.toISOString()).toBe('2026-12-06T20:05:09.000Z');
    expect(vn.parse('2026-12-07T03:05:09+07:00')?.toISOString()).toBe('2026-12-06T20:05:09.000Z');
    expect(vn.parse('yesterday')).toBeNull();
  });

  it('follows a zone with daylight saving time', () => {
    const paris = new ConsoleClock('Europe/Paris');
    expect(paris.parse('2026-07-01 12:00')?.toISOString()).toBe('2026-07-01T10:00:00.000Z');
    expect(paris.parse('2026-01-01 12:00')?.toISOString()).toBe('2026-01-01T11:00:00.000Z');
  });
});
