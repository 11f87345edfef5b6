import type { Channel } from 'amqplib';
import {
  DEAD_LETTER_EXCHANGE,
  DEAD_LETTER_QUEUE,
  INGRESS_QUEUE,
  SUBMIT_EXCHANGE,
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

/** Declares the bus's exchanges and queues. Idempotent: run on every (re)connect. */
export async function declareBusTopology(ch: Channel, limits: TopologyLimits): Promise<void> {
  await ch.assertExchange(DEAD_LETTER_EXCHANGE, 'fanout', { durable: true });
  await ch.assertQueue(DEAD_LETTER_QUEUE, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  await ch.bindQueue(DEAD_LETTER_QUEUE, DEAD_LETTER_EXCHANGE, '');
  await ch.assertExchange(SUBMIT_EXCHANGE, 'topic', { durable: true });
  await ch.assertQueue(INGRESS_QUEUE, {
    durable: true,
    arguments: quorumArguments(limits.ingressDeliveryLimit),
  });
  await ch.bindQueue(INGRESS_QUEUE, SUBMIT_EXCHANGE, '#');
}

export async function declareInbox(ch: Channel, organId: string, limits: TopologyLimits): Promise<string> {
  const name = inboxQueue(organId);
  await ch.assertQueue(name, { durable: true, arguments: quorumArguments(limits.inboxDeliveryLimit) });
  return name;
}
