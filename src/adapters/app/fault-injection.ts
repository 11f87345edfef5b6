import { Logger } from '@nestjs/common';
import { OutboxDispatcher, type PendingMessage } from '../../modules/delivery/outbox-dispatcher.port';
import { ArchiveStore, type ArchiveWriter } from '../../modules/retention/archive-store.port';
import type { Month } from '../../modules/retention/domain/month';
import {
  MonthRecords,
  type RestoreSource,
  type RetiredMonth,
} from '../../modules/retention/month-records.port';

function killNow(fault: string): void {
  new Logger('fault-injection').error(`FAULT_INJECTION=${fault}: killing the process now`);
  process.kill(process.pid, 'SIGKILL');
}

/**
 * Test-only faults, enabled by `FAULT_INJECTION` (never set in production). `kill-after-commit`
 * kills the process with SIGKILL right after the first document's transaction commits and before
 * anything is published or the ingress message acknowledged: the worst moment for a crash, which
 * the crash test uses to show that nothing is lost and nothing is delivered twice.
 */
export class KillAfterCommitDispatcher extends OutboxDispatcher {
  constructor(private readonly inner: OutboxDispatcher) {
    super();
  }

  dispatch(messages: PendingMessage[]): void {
    if (messages.some((m) => m.record.messageType === 'edoc')) {
      killNow('kill-after-commit');
      return;
    }
    this.inner.dispatch(messages);
  }
}

/**
 * `kill-archive-mid-write`: SIGKILL once the set's records are half written (after the first
 * page of deliveries), the month still whole in the database. The archive test shows the month
 * stays in the database and a new run archives it.
 */
export class KillMidWriteArchiveStore extends ArchiveStore {
  constructor(private readonly inner: ArchiveStore) {
    super();
  }

  async begin(month: Month): Promise<ArchiveWriter> {
    const writer = await this.inner.begin(month);
    return {
      ...bound(writer),
      appendRecords: async (records, rows) => {
        await writer.appendRecords(records, rows);
        if (records === 'deliveries') killNow('kill-archive-mid-write');
      },
    };
  }

  open(month: Month) {
    return this.inner.open(month);
  }

  months() {
    return this.inner.months();
  }

  remove(month: Month) {
    return this.inner.remove(month);
  }
}

/** The writer's methods bound to it, so that one of them can be replaced. */
function bound(writer: ArchiveWriter): ArchiveWriter {
  return {
    putBody: (b) => writer.putBody(b),
    appendRecords: (r, rows) => writer.appendRecords(r, rows),
    auditSink: () => writer.auditSink(),
    finishAudit: (m) => writer.finishAudit(m),
    close: () => writer.close(),
    commit: (m, s) => writer.commit(m, s),
    abandon: () => writer.abandon(),
  };
}

/**
 * `kill-archive-before-retire`: SIGKILL after the set is written and verified, before the month
 * leaves the database: a complete set and a whole month, which the next run writes again.
 */
export class KillBeforeRetireMonthRecords extends MonthRecords {
  constructor(private readonly inner: MonthRecords) {
    super();
  }

  monthsInDatabase() {
    return this.inner.monthsInDatabase();
  }

  unsettled(month: Month) {
    return this.inner.unsettled(month);
  }

  read<T>(month: Month, read: Parameters<MonthRecords['read']>[1]) {
    return this.inner.read(month, read) as Promise<T>;
  }

  archivedMonths() {
    return this.inner.archivedMonths();
  }

  purgedMonths() {
    return this.inner.purgedMonths();
  }

  forget(month: Month) {
    return this.inner.forget(month);
  }

  restore(month: Month, source: RestoreSource) {
    return this.inner.restore(month, source);
  }

  release(month: Month) {
    return this.inner.release(month);
  }

  archiveState(month: Month) {
    return this.inner.archiveState(month);
  }

  retire(_month: Month, _fingerprint: string, _archived: RetiredMonth): Promise<boolean> {
    killNow('kill-archive-before-retire');
    return Promise.resolve(false);
  }
}
