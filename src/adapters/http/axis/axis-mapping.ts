import type { PullItem } from '../../../modules/bridge/pull-inbox-repository.port';
import type { SentDocument } from '../../../modules/delivery/delivery-repository.port';
import type { Endpoint } from '../../../modules/registry/domain/endpoint';
import { qcvn102ToQd20 } from '../../../modules/registry/domain/organ-code';
import { describeRefusal } from '../../../modules/shared/reasons';
import type { SubmissionOutcome } from '../../../modules/routing/domain/submission-outcome';
import { AXIS_ERROR, axisCodeForRefusal, fail, ok, type AxisReply } from './axis-reply';

/** `sendEdoc`'s answer: the bus id is the `DocId` the sender tracks the document by. */
export function sendReply(outcome: SubmissionOutcome): AxisReply {
  switch (outcome.outcome) {
    case 'accepted':
      return ok(
        { DocId: outcome.busId, documentId: outcome.documentId, recipients: outcome.recipients },
        { DocId: outcome.busId },
      );
    case 'duplicate':
      return ok(
        { DocId: outcome.busId, documentId: outcome.documentId, duplicate: true },
        { DocId: outcome.busId },
      );
    case 'replayed':
      return ok({ DocId: outcome.busId, duplicate: true }, { DocId: outcome.busId });
    case 'rejected': {
      const text = describeRefusal(outcome.refusal);
      return {
        ...fail(axisCodeForRefusal(outcome.refusal.code), outcome.refusal.code, `${text.vi} / ${text.en}`),
        data: { quarantineId: outcome.quarantineId, reason: outcome.refusal.code },
      };
    }
  }
}

const STATE_DESC: Record<string, string> = {
  pending: 'Chờ nhận',
  done: 'Đã nhận',
  withdrawn: 'Đã thu hồi',
  dead: 'Lỗi, chờ xử lý',
};

/** One line of `getReceivedEdocList`, in the axis's field names (plus the bus's own). */
export function receivedRow(item: PullItem, to: string): Record<string, unknown> {
  return {
    docId: item.docId,
    from: item.from,
    to,
    serviceType: 'eDoc',
    messageType: item.messageType,
    status: item.state,
    status_desc: STATE_DESC[item.state] ?? item.state,
    created_time: item.createdAt.toISOString(),
    updated_time: item.createdAt.toISOString(),
    documentId: item.documentId,
    statusCode: item.statusCode,
    receiptOutcome: item.receiptOutcome,
    urgent: item.lane === 'urgent',
    failCount: item.failCount,
    cursor: item.cursor,
  };
}

const COPY_DESC: Record<string, string> = {
  queued: 'Chờ nhận',
  delivered: 'Đã lấy về',
  arrived: '01 Đã đến',
  rejected: '02 Từ chối',
  accepted: '03 Tiếp nhận',
  assigned: '04 Phân công',
  processing: '05 Đang xử lý',
  completed: '06 Hoàn thành',
};

/** `getSentEdocList`: one line per recipient of each sent document. */
export function sentRows(doc: SentDocument, from: string): Array<Record<string, unknown>> {
  return doc.copies.map((c) => ({
    senderDocId: doc.busId,
    receiverDocId: doc.busId,
    documentId: doc.documentId,
    fromCode: from,
    toCode: c.recipient,
    title: doc.subject,
    notation: doc.notation,
    sentTime: doc.acceptedAt.toISOString(),
    receivedTime: c.deliveredAt?.toISOString() ?? null,
    sendStatus: 'done',
    sendStatusDesc: 'Đã gửi',
    receiveStatus: c.state,
    receiveStatusDesc: COPY_DESC[c.state] ?? c.state,
    lastStatusCode: c.lastStatusCode,
  }));
}

/** `getAgenciesList` (QCVN 102 codes) and `getAgenciesListQD20` (Decision 20/2020 codes). */
export function agencyRow(e: Endpoint, form: 'qcvn102' | 'qd20'): Record<string, unknown> {
  const qd20 = e.codeQd20 ?? safeQd20(e.organId);
  return {
    id: e.organId,
    code: form === 'qd20' ? qd20 : e.organId,
    code102: e.organId,
    oldCode: null,
    pid: null,
    name: e.name,
    mail: null,
    centerCode: null,
    version: null,
    deleted: e.status === 'closed',
    modifyDate: null,
    isAgency: true,
    transport: e.transport,
    status: e.status,
  };
}

function safeQd20(code: string): string | null {
  try {
    return qcvn102ToQd20(code);
  } catch {
    return null;
  }
}

export { AXIS_ERROR };
