import type { Channel } from 'amqplib';
import {
  DEAD_LETTER_EXCHANGE,
  DEAD_LETTER_QUEUE,
  INGRESS_QUEUE,
  INGRESS_URGENT_QUEUE,
  SUBMIT_DEFAULT_EXCHANGE,
  SUBMIT_EXCHANGE,
  URGENT_ROUTING_KEY,
  inboxQueue,
} from './amqp-names';

export interface TopologyLimits {
  ingressDeliveryLimit: number;
  inboxDeliveryLimit: number;
}

/**
 * Quorum queues (replicated, durable) with a delivery limit: a message that keeps failing is
 * dead-lettered instead of looping. At-least-once dead-lettering so nothing is lost on the way to
 * the dead-letter queue (it requires reject-publish overflow).
 */
function quorumArguments(deliveryLimit: number): Record<string, unknown> {
  return {
    'x-queue-type': 'quorum',
    'x-delivery-limit': deliveryLimit,
    'x-dead-letter-exchange': DEAD_LETTER_EXCHANGE,
    'x-dead-letter-strategy': 'at-least-once',
    'x-overflow': 'reject-publish',
  };
}

/**
 * Declares the bus's exchanges and queues. Idempotent: run on every (re)connect.
 *
 * `edoc.submit` is a direct exchange: routing key `urgent` goes to `edoc.ingress.urgent`; any other
 * key falls through its alternate exchange to `edoc.ingress`, so a sender's choice of key can
 * never lose a package. Quorum queues have no priorities: urgency is a separate lane end to end.
 */
export async function declareBusTopology(ch: Channel, limits: TopologyLimits): Promise<void> {
  await explainMismatch(() => declareBusQueues(ch, limits));
}

async function declareBusQueues(ch: Channel, limits: TopologyLimits): Promise<void> {
  await ch.assertExchange(DEAD_LETTER_EXCHANGE, 'fanout', { durable: true });
  await ch.assertQueue(DEAD_LETTER_QUEUE, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  await ch.bindQueue(DEAD_LETTER_QUEUE, DEAD_LETTER_EXCHANGE, '');
  await ch.assertExchange(SUBMIT_DEFAULT_EXCHANGE, 'fanout', { durable: true });
  await ch.assertExchange(SUBMIT_EXCHANGE, 'direct', {
    durable: true,
    alternateExchange: SUBMIT_DEFAULT_EXCHANGE,
  });
  const args = { durable: true, arguments: quorumArguments(limits.ingressDeliveryLimit) };
  await ch.assertQueue(INGRESS_QUEUE, args);
  await ch.bindQueue(INGRESS_QUEUE, SUBMIT_DEFAULT_EXCHANGE, '');
  await ch.assertQueue(INGRESS_URGENT_QUEUE, args);
  await ch.bindQueue(INGRESS_URGENT_QUEUE, SUBMIT_EXCHANGE, URGENT_ROUTING_KEY);
}

/** An endpoint's inbox: both lanes. */
export async function declareInbox(ch: Channel, organId: string, limits: TopologyLimits): Promise<void> {
  await explainMismatch(() => declareInboxQueues(ch, organId, limits));
}

async function declareInboxQueues(ch: Channel, organId: string, limits: TopologyLimits): Promise<void> {
  for (const lane of ['normal', 'urgent'] as const) {
    await ch.assertQueue(inboxQueue(organId, lane), {
      durable: true,
      arguments: quorumArguments(limits.inboxDeliveryLimit),
    });
  }
}

/**
 * A queue declared earlier with other arguments (e.g. INBOX_DELIVERY_LIMIT changed since) makes the
 * broker close the channel with a terse 406: say which setting disagrees and what to do.
 */
async function explainMismatch(declare: () => Promise<void>): Promise<void> {
  try {
    await declare();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const m =
      /inequivalent arg '([^']+)' for queue '([^']+)'.*received '([^']*)' but current is '([^']*)'/.exec(
        message,
      );
    if (!m) throw error;
    const [, arg, queue, wanted, current] = m;
    const setting =
      arg === 'x-delivery-limit'
        ? queue!.startsWith('edoc.ingress')
          ? 'INGRESS_DELIVERY_LIMIT'
          : 'INBOX_DELIVERY_LIMIT'
        : `the queue argument ${arg}`;
    throw new Error(
      `queue ${queue} already exists with ${arg}=${current}, but this configuration asks for ${wanted}: ` +
        `set ${setting} to ${current}, or drain and delete the queue so it is declared again`,
      { cause: error },
    );
  }
}
