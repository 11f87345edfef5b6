import { organOfCertificateUser } from './certificate-user';

/**
 * The AMQP contract. DMS vendors and other issues depend on these names: never rename them.
 */
export const SUBMIT_EXCHANGE = 'edoc.submit';
/** Where edoc.submit sends whatever is not routed to a lane explicitly (its alternate exchange). */
export const SUBMIT_DEFAULT_EXCHANGE = 'edoc.submit.default';
export const INGRESS_QUEUE = 'edoc.ingress';
/** Urgent packages (routing key `urgent`) skip the ordinary backlog. */
export const INGRESS_URGENT_QUEUE = 'edoc.ingress.urgent';
export const URGENT_ROUTING_KEY = 'urgent';
export const DEAD_LETTER_EXCHANGE = 'edoc.dead';
export const DEAD_LETTER_QUEUE = 'edoc.dead-letter';
export const INBOX_PREFIX = 'edoc.inbox.';

export type Lane = 'normal' | 'urgent';

/** An endpoint's inbox: one queue per lane, so urgent mail overtakes a backlog of ordinary mail. */
export function inboxQueue(organId: string, lane: Lane = 'normal'): string {
  return lane === 'urgent' ? `${INBOX_PREFIX}${organId}.urgent` : `${INBOX_PREFIX}${organId}`;
}

/**
 * AMQP `type` property values. Into the bus: `edoc`, `status`, and the transport messages
 * `delivered` (a copy was taken, when the DMS does not send 01) and `trace-request`. Out of the bus:
 * `edoc`, `status`, `receipt`, `withdrawal` (skip a recalled copy) and `trace` (the answer).
 */
export const MESSAGE_TYPES = {
  edoc: 'edoc',
  status: 'status',
  receipt: 'receipt',
  delivered: 'delivered',
  traceRequest: 'trace-request',
  trace: 'trace',
  withdrawal: 'withdrawal',
} as const;

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
  priority: 'x-edoc-priority',
  businessDocType: 'x-edoc-business-doc-type',
  originalBusId: 'x-edoc-original-bus-id',
} as const;

export function escapeRegex(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Endpoints' broker users are named `<prefix><organ code>` (BROKER_USER_PREFIX, empty by default):
 * users are global on a RabbitMQ node, so a prefix keeps buses that share one broker (staging and
 * production, test runs) from rotating each other's passwords. The broker vouches for the user in
 * `user_id`; the bus reads the organ back from it, and a user outside its prefix is nobody.
 */
export class BrokerUserNames {
  constructor(readonly prefix: string) {}

  userFor(organId: string): string {
    return `${this.prefix}${organId}`;
  }

  /**
   * The organ a broker-validated user stands for, or null for a user that is not an endpoint's: a
   * certificate user (EXTERNAL) by the organ code in its subject, a password user by its name.
   */
  organOf(user: string): string | null {
    if (user.includes('=')) return organOfCertificateUser(user);
    if (!user.startsWith(this.prefix) || user.length === this.prefix.length) return null;
    return user.slice(this.prefix.length);
  }
}
