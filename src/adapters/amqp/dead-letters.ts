import type { ConsumeMessage } from 'amqplib';
import { createHash, randomUUID } from 'node:crypto';
import type { DeadLetter, MessageProperties } from '../../modules/dead-letters/dead-letter';
import { DeadLetterRepublisher } from '../../modules/dead-letters/dead-letter-repository.port';
import {
  DEAD_LETTER_EXCHANGE,
  INGRESS_QUEUE,
  INGRESS_URGENT_QUEUE,
  type BrokerUserNames,
} from './amqp-names';
import type { ConfirmPublisher } from './confirm-publisher';

/**
 * Headers the bus puts on a message it dead-letters itself. They are believed only on messages
 * whose broker-validated `user_id` is the bus's own user: an endpoint cannot publish as the bus,
 * so it cannot forge a dead letter's sender.
 */
export const DEAD_HEADERS = {
  id: 'x-edoc-dead-id',
  reason: 'x-edoc-dead-reason',
  queue: 'x-edoc-dead-queue',
  userId: 'x-edoc-dead-user-id',
} as const;

/** On a redelivered ingress message (published as the bus): the endpoint it was originally from. */
export const ON_BEHALF_OF = 'x-edoc-on-behalf-of';

/** Who the bus is on the broker, and how endpoints' broker users are named. */
export interface BrokerIdentities {
  busUser: string;
  users: BrokerUserNames;
}

/**
 * Which organ sent a message: the one whose broker user is the broker-validated `user_id`
 * (RabbitMQ refuses one that is not the connection's user), or — on a dead letter the bus
 * redelivered, published as the bus — the organ it names. Never anything inside the package.
 */
export function authenticatedSender(msg: ConsumeMessage, identities: BrokerIdentities): string | null {
  const userId: unknown = msg.properties.userId;
  if (typeof userId !== 'string' || userId === '') return null;
  if (userId !== identities.busUser) return identities.users.organOf(userId);
  return text((msg.properties.headers ?? {})[ON_BEHALF_OF]) ?? null;
}

const BROKER_HEADERS = /^x-(death|first-death-|last-death-|delivery-count)/;

/**
 * The properties a message carries besides its headers, kept with a dead letter so that a
 * redelivery is the original message (content type, application id, correlation id…), not a
 * look-alike. `user_id` is not among them: only the broker sets who published a message.
 */
function messageProperties(p: ConsumeMessage['properties']): MessageProperties {
  const out: MessageProperties = {};
  for (const key of ['contentType', 'contentEncoding', 'correlationId', 'replyTo', 'appId'] as const) {
    const v: unknown = p[key];
    if (typeof v === 'string' && v !== '') out[key] = v;
  }
  const priority: unknown = p.priority;
  if (typeof priority === 'number') out.priority = priority;
  const timestamp: unknown = p.timestamp;
  if (typeof timestamp === 'number') out.timestamp = timestamp;
  return out;
}

/** Publishes a message that failed its last attempt to `edoc.dead`, with the error as the reason. */
export class DeadLetterPublisher {
  constructor(
    private readonly publisher: ConfirmPublisher,
    private readonly identities: BrokerIdentities,
  ) {}

  async publish(msg: ConsumeMessage, queue: string, reason: string): Promise<void> {
    const p = msg.properties;
    await this.publisher.publish(DEAD_LETTER_EXCHANGE, queue, msg.content, {
      timestamp: Math.floor(Date.now() / 1000),
      ...messageProperties(p),
      messageId: typeof p.messageId === 'string' ? p.messageId : randomUUID(),
      type: typeof p.type === 'string' ? p.type : undefined,
      userId: this.identities.busUser,
      persistent: true,
      headers: {
        ...withoutBrokerHeaders(p.headers ?? {}),
        [DEAD_HEADERS.id]: randomUUID(),
        [DEAD_HEADERS.reason]: reason,
        [DEAD_HEADERS.queue]: queue,
        [DEAD_HEADERS.userId]: authenticatedSender(msg, this.identities) ?? '',
      },
    });
  }
}

/**
 * Reads a message from `edoc.dead-letter`: dead-lettered by the bus (reason = the error) or by the
 * broker. `deliveryLimitOf` gives the delivery limit the bus set on a queue: a quorum queue drops
 * the message's delivery count when it dead-letters it, and x-death counts deaths, not deliveries.
 */
export function deadLetterFromMessage(
  msg: ConsumeMessage,
  identities: BrokerIdentities,
  now: Date,
  deliveryLimitOf: (queue: string) => number | null,
): DeadLetter {
  const p = msg.properties;
  const headers = (p.headers ?? {}) as Record<string, unknown>;
  const userId = typeof p.userId === 'string' && p.userId !== '' ? p.userId : null;
  const messageId = typeof p.messageId === 'string' ? p.messageId : null;
  const messageType = typeof p.type === 'string' ? p.type : null;
  const properties = messageProperties(p);
  const ownId = text(headers[DEAD_HEADERS.id]);
  if (userId === identities.busUser && ownId) {
    return {
      id: randomUUID(),
      fingerprint: `bus:${ownId}`,
      queue: text(headers[DEAD_HEADERS.queue]) ?? 'unknown',
      channel: 'broker',
      reason: text(headers[DEAD_HEADERS.reason]) ?? 'unknown',
      messageId,
      messageType,
      userId: text(headers[DEAD_HEADERS.userId]) || null,
      properties,
      headers: jsonSafe(withoutOwnHeaders(headers)) as Record<string, unknown>,
      body: msg.content,
      deadAt: now,
    };
  }
  const death = firstDeath(headers);
  const bodyHash = createHash('sha256').update(msg.content).digest('hex');
  return {
    id: randomUUID(),
    fingerprint: `broker:${createHash('sha256')
      .update(JSON.stringify([death.queue, death.reason, death.count, death.time, messageId, bodyHash]))
      .digest('hex')}`,
    queue: death.queue,
    channel: 'broker',
    reason: deathReason(death, deliveryLimitOf(death.queue)),
    messageId,
    messageType,
    // Headers from the message are the sender's, not the bus's: only the broker's user_id is believed.
    userId: userId === null || userId === identities.busUser ? null : identities.users.organOf(userId),
    properties,
    headers: jsonSafe(headers) as Record<string, unknown>,
    body: msg.content,
    deadAt: now,
  };
}

/** What an operator reads: why the broker gave up on the message, in deliveries where it counted them. */
function deathReason(death: ReturnType<typeof firstDeath>, deliveryLimit: number | null): string {
  const times = (n: number) => `${n} ${n === 1 ? 'time' : 'times'}`;
  const parts: string[] = [];
  // A quorum queue dead-letters a message on the delivery after its limit of redeliveries.
  if (death.reason === 'delivery_limit' && deliveryLimit !== null)
    parts.push(`delivered ${times(deliveryLimit + 1)}`);
  if (death.count > 1) parts.push(`dead-lettered ${times(death.count)}`);
  return parts.length > 0 ? `${death.reason} (${parts.join('; ')})` : death.reason;
}

/**
 * Puts a dead letter back in the queue it died in, as it was: same id, type, properties and
 * headers. Ingress messages are published as the bus with the original sender in
 * `x-edoc-on-behalf-of` (an endpoint's user cannot be impersonated).
 */
export class AmqpDeadLetterRepublisher extends DeadLetterRepublisher {
  constructor(
    private readonly publisher: ConfirmPublisher,
    private readonly busUser: string,
  ) {
    super();
  }

  async republish(letter: DeadLetter): Promise<void> {
    const ingress = letter.queue === INGRESS_QUEUE || letter.queue === INGRESS_URGENT_QUEUE;
    if (ingress && !letter.userId)
      throw new Error('an ingress message without a validated sender cannot be redelivered');
    const headers = withoutOwnHeaders(withoutBrokerHeaders(letter.headers));
    await this.publisher.publish('', letter.queue, letter.body, {
      timestamp: Math.floor(Date.now() / 1000),
      ...letter.properties,
      messageId: letter.messageId ?? randomUUID(),
      type: letter.messageType ?? undefined,
      persistent: true,
      ...(ingress
        ? { userId: this.busUser, headers: { ...headers, [ON_BEHALF_OF]: letter.userId } }
        : { headers }),
    });
  }
}

function firstDeath(headers: Record<string, unknown>): {
  queue: string;
  reason: string;
  count: number;
  time: unknown;
} {
  const deaths = headers['x-death'];
  const first = Array.isArray(deaths) ? (deaths[0] as Record<string, unknown> | undefined) : undefined;
  return {
    queue: text(first?.queue) ?? text(headers['x-first-death-queue']) ?? 'unknown',
    reason: text(first?.reason) ?? text(headers['x-first-death-reason']) ?? 'unknown',
    count: typeof first?.count === 'number' ? first.count : 0,
    time: jsonSafe(first?.time ?? null),
  };
}

function withoutBrokerHeaders(headers: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(headers).filter(([k]) => !BROKER_HEADERS.test(k)));
}

function withoutOwnHeaders(headers: Record<string, unknown>): Record<string, unknown> {
  const own = new Set<string>([...Object.values(DEAD_HEADERS), ON_BEHALF_OF]);
  return Object.fromEntries(Object.entries(headers).filter(([k]) => !own.has(k)));
}

function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return undefined;
}

/** AMQP tables may hold Buffers, bigints and dates: make them storable as JSON. */
function jsonSafe(value: unknown, depth = 0): unknown {
  if (depth > 8) return null;
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return value.toString();
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((v) => jsonSafe(v, depth + 1));
  if (typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonSafe(v, depth + 1)]));
  }
  return value;
}
