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
