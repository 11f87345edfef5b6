import { isKnownStatusCode } from '../../edoc/domain/status-package';

/**
 * The life of one copy of a document (one recipient):
 *
 *   queued → delivered → arrived (01) → accepted (03) | rejected (02) → assigned (04)
 *          → processing (05) → completed (06)
 *
 * with a change-request overlay: a recall (13, or a recall package), an update or a replacement is
 * requested → agreed (15) | refused (16); a recall that comes before the copy was taken from the
 * inbox withdraws it.
 *
 * Statuses arrive from other systems, late, twice or in the wrong order: none is dropped. One that
 * moves the copy forward is applied; one that would move it back, or is impossible (03 after 02),
 * is kept in the trace with a flag and the state stays. Skipping the optional steps (04, 05) is
 * normal; a status that skips the recipient's acknowledgement (no 01 before it) or its decision
 * (04…06 with no 03 before) is applied and flagged, so an operator sees the gap.
 */
export type CopyState =
  'queued' | 'delivered' | 'arrived' | 'accepted' | 'rejected' | 'assigned' | 'processing' | 'completed';
export type ChangeState = 'requested' | 'agreed' | 'refused' | 'withdrawn';

export interface CopyStatus {
  state: CopyState;
  changeState: ChangeState | null;
}

export interface Transition extends CopyStatus {
  /** Why the status did not move the copy as it says (kept and shown, never dropped). */
  flag?: string;
}

const RANK: Record<CopyState, number> = {
  queued: 0,
  delivered: 1,
  arrived: 2,
  accepted: 3,
  rejected: 3,
  assigned: 4,
  processing: 5,
  completed: 6,
};

const TARGET: Record<string, CopyState> = {
  '01': 'arrived',
  '02': 'rejected',
  '03': 'accepted',
  '04': 'assigned',
  '05': 'processing',
  '06': 'completed',
};

export function applyStatus(current: CopyStatus, code: string): Transition {
  if (!isKnownStatusCode(code)) return { ...current, flag: `unknown status code ${code}` };
  if (code === '13') {
    if (current.changeState === 'withdrawn')
      return { ...current, flag: 'recall requested again; the copy was already withdrawn' };
    return current.state === 'queued'
      ? { ...current, changeState: 'withdrawn' }
      : { ...current, changeState: 'requested' };
  }
  if (code === '15' || code === '16') {
    const answer: ChangeState = code === '15' ? 'agreed' : 'refused';
    if (current.changeState !== 'requested') {
      return {
        ...current,
        changeState: current.changeState === 'withdrawn' ? 'withdrawn' : answer,
        flag: `answer ${code} without a pending recall or update request`,
      };
    }
    return { ...current, changeState: answer };
  }
  const target = TARGET[code]!;
  const from = current.state;
  if (from === target) return { ...current, flag: `status ${code} repeated` };
  if (from === 'rejected' && target !== 'arrived')
    return { ...current, flag: `status ${code} after the copy was rejected (02)` };
  if (target === 'rejected' && RANK[from] >= RANK.accepted)
    return { ...current, flag: `rejection (02) after the copy was ${from}` };
  if (RANK[target] < RANK[from] || RANK[target] === RANK[from])
    return { ...current, flag: `status ${code} out of order: the copy is already ${from}` };
  const skipped = skippedSteps(from, target);
  return skipped
    ? { ...current, state: target, flag: `status ${code} applied before ${skipped} (out of order)` }
    : { ...current, state: target };
}

/** The required answers a forward move jumps over: the arrival (01) and the decision (03). */
function skippedSteps(from: CopyState, target: CopyState): string | null {
  const missing: string[] = [];
  if (RANK[from] < RANK.arrived && RANK[target] > RANK.arrived) missing.push('01 (arrived)');
  if (RANK[from] < RANK.accepted && RANK[target] > RANK.accepted) missing.push('03 (accepted)');
  return missing.length > 0 ? missing.join(' and ') : null;
}

/** A copy's state as the trace shows it: `delivered`, `arrived/requested`… */
export function describeCopy(s: CopyStatus): string {
  return s.changeState ? `${s.state}/${s.changeState}` : s.state;
}

/** The copy was taken from the inbox (bridge fetch, or the SDK's transport acknowledgement). */
export function markDelivered(current: CopyStatus): Transition {
  return current.state === 'queued' ? { ...current, state: 'delivered' } : current;
}

/**
 * A recipient's system says it took the copy. Taken while a recall had withdrawn it (the notice
 * crossed the withdrawal): the recipient has the document after all, so the recall becomes a
 * request to answer, and the sender must ask again with 13.
 */
export function takeFromInbox(current: CopyStatus): Transition {
  const next = markDelivered(current);
  if (current.changeState !== 'withdrawn') return next;
  return {
    ...next,
    changeState: 'requested',
    flag: 'taken from the inbox while a recall withdrew it: the recipient has the document; ask again with status 13',
  };
}

export type ChangeKind = 'recall' | 'update' | 'replacement';

/**
 * A recall, update or replacement package reaches a copy of the original. A recall of a copy
 * still in the inbox withdraws it (the recipient never sees it); otherwise the recipient is asked
 * and answers 15 (agreed) or 16 (refused).
 */
export function requestChange(current: CopyStatus, kind: ChangeKind): Transition {
  return {
    ...current,
    changeState: kind === 'recall' && current.state === 'queued' ? 'withdrawn' : 'requested',
  };
}

/** Whether a copy still waits for the recipient's first answer (01), or for its decision (03/02). */
export function awaitsArrival(state: CopyState): boolean {
  return state === 'queued' || state === 'delivered';
}

export function awaitsDecision(state: CopyState): boolean {
  return RANK[state] < RANK.accepted;
}
