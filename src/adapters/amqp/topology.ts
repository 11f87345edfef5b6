import type { Channel, ChannelModel } from 'amqplib';
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
  /**
   * Members a new quorum queue gets (`x-quorum-initial-group-size`); 0: RabbitMQ's default, every
   * node of the cluster at the time. Three keeps a queue available with one node down.
   */
  quorumInitialGroupSize: number;
}

const GROUP_SIZE = 'x-quorum-initial-group-size';

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
export async function declareBusTopology(model: ChannelModel, limits: TopologyLimits): Promise<void> {
  await withDeclarer(model, limits, async (declarer) => {
    await declarer.exchange(DEAD_LETTER_EXCHANGE, 'fanout');
    await declarer.quorumQueue(DEAD_LETTER_QUEUE, { 'x-queue-type': 'quorum' });
    await declarer.bind(DEAD_LETTER_QUEUE, DEAD_LETTER_EXCHANGE, '');
    await declarer.exchange(SUBMIT_DEFAULT_EXCHANGE, 'fanout');
    await declarer.exchange(SUBMIT_EXCHANGE, 'direct', SUBMIT_DEFAULT_EXCHANGE);
    const args = quorumArguments(limits.ingressDeliveryLimit);
    await declarer.quorumQueue(INGRESS_QUEUE, args);
    await declarer.bind(INGRESS_QUEUE, SUBMIT_DEFAULT_EXCHANGE, '');
    await declarer.quorumQueue(INGRESS_URGENT_QUEUE, args);
    await declarer.bind(INGRESS_URGENT_QUEUE, SUBMIT_EXCHANGE, URGENT_ROUTING_KEY);
  });
}

/** An endpoint's inbox: both lanes. */
export async function declareInbox(
  model: ChannelModel,
  organId: string,
  limits: TopologyLimits,
): Promise<void> {
  await withDeclarer(model, limits, async (declarer) => {
    for (const lane of ['normal', 'urgent'] as const) {
      await declarer.quorumQueue(inboxQueue(organId, lane), quorumArguments(limits.inboxDeliveryLimit));
    }
  });
}

/**
 * Declarations on a channel of their own, so a refused one (the broker closes the channel) never
 * takes a consumer's or the publisher's channel with it.
 */
class Declarer {
  private open: Channel | null = null;

  constructor(
    private readonly model: ChannelModel,
    private readonly groupSize: number,
  ) {}

  async exchange(name: string, type: 'fanout' | 'direct', alternateExchange?: string): Promise<void> {
    await (await this.channel()).assertExchange(name, type, { durable: true, alternateExchange });
  }

  async bind(queue: string, exchange: string, routingKey: string): Promise<void> {
    await (await this.channel()).bindQueue(queue, exchange, routingKey);
  }

  private async channel(): Promise<Channel> {
    if (!this.open) {
      const channel = await this.model.createChannel();
      channel.on('error', () => undefined); // a refusal is reported by the declaration itself
      channel.on('close', () => {
        if (this.open === channel) this.open = null;
      });
      this.open = channel;
    }
    return this.open;
  }

  /**
   * A quorum queue with the configured group size. The size counts only when a queue is created,
   * but RabbitMQ compares it on every declaration: a queue made before it was configured (or with
   * another size) is declared again with the size it has, never deleted or refused.
   */
  async quorumQueue(name: string, args: Record<string, unknown>): Promise<void> {
    const wanted = this.groupSize > 0 ? { ...args, [GROUP_SIZE]: this.groupSize } : args;
    try {
      await (await this.channel()).assertQueue(name, { durable: true, arguments: wanted });
    } catch (error) {
      const mismatch = argumentMismatch(error);
      if (mismatch?.argument !== GROUP_SIZE || mismatch.queue !== name) throw error;
      const kept = { ...args };
      if (mismatch.current !== 'none') kept[GROUP_SIZE] = Number(mismatch.current);
      await (await this.channel()).assertQueue(name, { durable: true, arguments: kept });
    }
  }

  async close(): Promise<void> {
    await this.open?.close().catch(() => undefined);
    this.open = null;
  }
}

async function withDeclarer(
  model: ChannelModel,
  limits: TopologyLimits,
  declare: (declarer: Declarer) => Promise<void>,
): Promise<void> {
  const declarer = new Declarer(model, limits.quorumInitialGroupSize);
  try {
    await explainMismatch(() => declare(declarer));
  } finally {
    await declarer.close();
  }
}

interface ArgumentMismatch {
  argument: string;
  queue: string;
  /** The values as the broker printed them: a quoted value's text, or `none`. */
  wanted: string;
  current: string;
}

/** Reads RabbitMQ's 406 "inequivalent arg 'A' for queue 'Q' …: received X but current is Y". */
export function argumentMismatch(error: unknown): ArgumentMismatch | null {
  const message = error instanceof Error ? error.message : String(error);
  const m = /inequivalent arg '([^']+)' for queue '([^']+)'[^:]*: received (.*) but current is (.*)$/.exec(
    message.replace(/"$/, ''),
  );
  if (!m) return null;
  const valueOf = (text: string) => /'([^']*)'/.exec(text)?.[1] ?? 'none';
  return { argument: m[1]!, queue: m[2]!, wanted: valueOf(m[3]!), current: valueOf(m[4]!) };
}

/**
 * A queue declared earlier with other arguments (e.g. INBOX_DELIVERY_LIMIT changed since) makes the
 * broker close the channel with a terse 406: say which setting disagrees and what to do.
 */
async function explainMismatch(declare: () => Promise<void>): Promise<void> {
  try {
    await declare();
  } catch (error) {
    const mismatch = argumentMismatch(error);
    if (!mismatch) throw error;
    const { argument, queue, wanted, current } = mismatch;
    const setting =
      argument === 'x-delivery-limit'
        ? queue.startsWith('edoc.ingress')
          ? 'INGRESS_DELIVERY_LIMIT'
          : 'INBOX_DELIVERY_LIMIT'
        : `the queue argument ${argument}`;
    throw new Error(
      `queue ${queue} already exists with ${argument}=${current}, but this configuration asks for ${wanted}: ` +
        `set ${setting} to ${current}, or drain and delete the queue so it is declared again`,
      { cause: error },
    );
  }
}
