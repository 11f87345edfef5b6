/**
 * The AMQP contract. DMS vendors and other issues depend on these names: never rename them.
 */
export const SUBMIT_EXCHANGE = 'edoc.submit';
export const INGRESS_QUEUE = 'edoc.ingress';
export const DEAD_LETTER_EXCHANGE = 'edoc.dead';
export const DEAD_LETTER_QUEUE = 'edoc.dead-letter';
export const INBOX_PREFIX = 'edoc.inbox.';

export function inboxQueue(organId: string): string {
  return `${INBOX_PREFIX}${organId}`;
}

/** AMQP `type` property values. */
export const MESSAGE_TYPES = { edoc: 'edoc', status: 'status', receipt: 'receipt' } as const;

/** Headers the bus sets on what it puts in an inbox. */
export const HEADERS = {
  busId: 'x-edoc-bus-id',
  documentId: 'x-edoc-document-id',
  from: 'x-edoc-from',
  documentBusId: 'x-edoc-document-bus-id',
  statusCode: 'x-edoc-status-code',
  receiptOutcome: 'x-edoc-receipt-outcome',
  reason: 'x-edoc-reason',
  correlationId: 'x-edoc-correlation-id',
  code: 'x-edoc-code',
  promulgationDate: 'x-edoc-promulgation-date',
} as const;

export function escapeRegex(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
