import { Injectable } from '@nestjs/common';
import { DomainRuleError } from '../../shared/errors';
import { ArchiveStore } from '../archive-store.port';
import { MONTH_PATTERN, type Month } from '../domain/month';
import { MonthRecords } from '../month-records.port';
import { verifyArchiveSet } from './verify-archive-set';

function checked(month: string): Month {
  if (!MONTH_PATTERN.test(month))
    throw new DomainRuleError('archive-month', `a month is YYYY-MM, not ${month}`);
  return month;
}

/**
 * `edoc-bus archive restore MONTH`: an archived month back in the database, read-only, for as
 * long as it is needed (an inquiry, an audit): its set is verified first, then every row and
 * package body comes back from it, byte for byte, under the month's own partitions.
 */
@Injectable()
export class RestoreArchivedMonth {
  constructor(
    private readonly records: MonthRecords,
    private readonly store: ArchiveStore,
  ) {}

  async execute(month: string): Promise<{ packages: number; location: string }> {
    const m = checked(month);
    const state = await this.records.archiveState(m);
    if (state === null) throw new DomainRuleError('archive-month', `${m} is not archived`);
    if (state === 'restored') throw new DomainRuleError('archive-month', `${m} is already restored`);
    const set = await this.store.open(m);
    if (!set) throw new DomainRuleError('archive-month', `the set of ${m} is not in the archive directory`);
    const verdict = await verifyArchiveSet(set);
    if (!verdict.ok)
      throw new DomainRuleError(
        'archive-set',
        `the set of ${m} does not verify: ${verdict.problems.join('; ')}`,
      );
    const packages = await this.records.restore(m, set);
    return { packages, location: set.location };
  }
}

/** `edoc-bus archive release MONTH`: a restored month leaves the database again; its set stays. */
@Injectable()
export class ReleaseRestoredMonth {
  constructor(private readonly records: MonthRecords) {}

  async execute(month: string): Promise<void> {
    const m = checked(month);
    if ((await this.records.archiveState(m)) !== 'restored')
      throw new DomainRuleError('archive-month', `${m} is not restored`);
    await this.records.release(m);
  }
}
