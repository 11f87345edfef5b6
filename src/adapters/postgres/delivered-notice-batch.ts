import type { DeliveredNotice } from '../../modules/delivery/delivery-repository.port';
import type { CopyStatus, Transition } from '../../modules/delivery/domain/delivery-lifecycle';
import type { Sql } from './sql';
import { describeCopy } from '../../modules/delivery/domain/delivery-lifecycle';
import { Params } from './write-fragments';

/** Notices gathered in one turn of the event loop are written together, up to this many. */
const MAX_BATCH = 256;
const QUEUED: CopyStatus = { state: 'queued', changeState: null };

interface Waiting {
  notice: DeliveredNotice;
  /** The transition from `queued`, the state nearly every notice finds. */
  transition: Transition;
  resolve: (written: boolean) => void;
}

/**
 * Delivered notices follow every copy (about three per document, a third of the bus's
 * statements). Those that arrive in the same turn of the event loop — a prefetch window's worth —
 * are written by one statement: each copy still `queued` moves with its trace event, in one
 * commit. The caller acks its message only after that commit. A notice whose copy was not
 * `queued` (a repeat, a recall, a status first) is answered `false` and takes the one-by-one
 * compare-and-set path; so does every notice of a batch the database refuses (a deadlock with a
 * concurrent writer, for one): the batch is an optimisation, never a different rule.
 */
export class DeliveredNoticeBatch {
  private waiting: Waiting[] = [];
  private scheduled = false;

  constructor(private readonly sql: Sql) {}

  /** Whether the copy moved from `queued` (`transition` from `queued`) with its trace event. */
  fromQueued(notice: DeliveredNotice, transition: Transition): Promise<boolean> {
    return new Promise((resolve) => {
      this.waiting.push({ notice, transition, resolve });
      if (this.waiting.length >= MAX_BATCH) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.waiting;
    this.waiting = [];
    if (batch.length === 0) return;
    this.write(batch).then(
      (moved) => batch.forEach((w, i) => w.resolve(moved.has(i))),
      () => batch.forEach((w) => w.resolve(false)),
    );
  }

  private async write(batch: Waiting[]): Promise<Set<number>> {
    const p = new Params();
    const col = <T>(f: (w: Waiting, i: number) => T) => p.add(batch.map(f));
    const rows = await this.sql.rows<{ idx: number }>(
      `WITH n AS (
         SELECT * FROM unnest(${col((_w, i) => i)}::int[],
                              ${col((w) => w.notice.packageId)}::uuid[], ${col((w) => w.notice.recipient)}::text[],
                              ${col((w) => w.transition.state)}::text[], ${col((w) => w.transition.changeState)}::text[],
                              ${col((w) => w.notice.traceEvent.at)}::timestamptz[])
           AS n(idx, package_id, recipient, state, change_state, at)
       ), moved AS (
         UPDATE delivery d
            SET state = n.state, change_state = n.change_state, state_at = n.at, delivered_at = coalesce(d.delivered_at, n.at)
           FROM n
          WHERE d.package_id = n.package_id AND d.recipient = n.recipient AND d.state = 'queued' AND d.change_state IS NULL
         RETURNING n.idx
       ), trace AS (
         INSERT INTO trace_event (package_id, recipient, event, status_code, source, source_package_id, detail, state_before, state_after, flag, at)
         SELECT e.package_id, e.recipient, e.event, e.status_code, e.source, e.source_package_id, e.detail, e.state_before, e.state_after, e.flag, e.at
           FROM unnest(${col((_w, i) => i)}::int[], ${col((w) => w.notice.traceEvent.packageId)}::uuid[],
                       ${col((w) => w.notice.traceEvent.recipient)}::text[], ${col((w) => w.notice.traceEvent.event)}::text[],
                       ${col((w) => w.notice.traceEvent.statusCode ?? null)}::text[], ${col((w) => w.notice.traceEvent.source)}::text[],
                       ${col((w) => w.notice.traceEvent.sourcePackageId ?? null)}::uuid[],
                       ${col((w) => (w.notice.traceEvent.detail ? JSON.stringify(w.notice.traceEvent.detail) : null))}::jsonb[],
                       ${col(() => describeCopy(QUEUED))}::text[], ${col((w) => describeCopy(w.transition))}::text[],
                       ${col((w) => w.transition.flag ?? null)}::text[], ${col((w) => w.notice.traceEvent.at)}::timestamptz[])
                AS e(idx, package_id, recipient, event, status_code, source, source_package_id, detail, state_before, state_after, flag, at)
           JOIN moved ON moved.idx = e.idx
       )
       SELECT idx FROM moved`,
      p.values,
    );
    return new Set(rows.map((r) => Number(r.idx)));
  }
}
