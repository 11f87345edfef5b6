/** A calendar month in UTC, written YYYY-MM: the unit the bus partitions, archives and purges by. */
export type Month = string;

export function monthOf(at: Date): Month {
  return `${at.getUTCFullYear()}-${String(at.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** The month `offset` months after `month` (negative: before). */
export function addMonths(month: Month, offset: number): Month {
  const [year, m] = month.split('-').map(Number) as [number, number];
  return monthOf(new Date(Date.UTC(year, m - 1 + offset, 1)));
}

export const MONTH_PATTERN = /^\d{4}-(0[1-9]|1[0-2])$/;

/** The month's first instant and the next month's (UTC). */
export function monthBounds(month: Month): { from: Date; to: Date } {
  const [year, m] = month.split('-').map(Number) as [number, number];
  return { from: new Date(Date.UTC(year, m - 1, 1)), to: new Date(Date.UTC(year, m, 1)) };
}
