import { addMonths, monthOf } from '../domain/month';
import { MonthPartitions } from '../month-partitions.port';
import { MONTHS_AHEAD, PrepareComingMonths } from './prepare-coming-months.use-case';

class RecordedPartitions extends MonthPartitions {
  readonly calls: [string, number][] = [];
  ensureMonths(firstMonth: string, count: number): Promise<number> {
    this.calls.push([firstMonth, count]);
    return Promise.resolve(0);
  }
}

describe('the months prepared ahead', () => {
  it('are this month (UTC) and the next three', async () => {
    const partitions = new RecordedPartitions();
    // 23:30 UTC on 31 December is already 1 January in Hanoi: months are UTC's, as the partitions'.
    const at = new Date('2026-12-31T23:30:00Z');
    await new PrepareComingMonths(partitions, { now: () => at }).execute();
    expect(partitions.calls).toEqual([['2026-12', MONTHS_AHEAD + 1]]);
  });

  it('are counted in calendar months across years', () => {
    expect(monthOf(new Date('2027-01-01T00:30:00Z'))).toBe('2027-01');
    expect(addMonths('2026-11', 3)).toBe('2027-02');
    expect(addMonths('2027-01', -1)).toBe('2026-12');
    expect(addMonths('2026-12', -24)).toBe('2024-12');
  });
});
