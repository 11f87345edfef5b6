import { Logger } from '@nestjs/common';
import type { ChannelModel, GetMessage } from 'amqplib';
import type { MessageType, OutboxRecord } from '../../modules/delivery/delivery-records';
import { inboxQueue, type Lane } from './amqp-names';

const BATCH = 100;
/** A batch stops growing past this many bytes of bodies: a queue of 50 MB packages is not held whole. */
const BATCH_BYTES = 32 * 1024 * 1024;
const logger = new Logger('inbox-drain');
const KEPT_TYPES: ReadonlySet<string> = new Set<MessageType>(['edoc', 'status', 'receipt', 'withdrawal']);

/**
 * Empties an endpoint's broker inbox (urgent lane first), a batch at a time: `keep` stores each
 * batch as pull-inbox mail, and only then are its messages acknowledged — removed from the queue.
 * A failure leaves the rest (and the batch in hand, requeued by the channel's close) in the queue.
 * For an endpoint that left AMQP: its broker user is gone, so nobody else is consuming them.
 * Returns how many messages left the queue.
 */
export async function drainInbox(
  model: ChannelModel,
  organId: string,
  keep: (mail: OutboxRecord[]) => Promise<void>,
): Promise<number> {
  let drained = 0;
  for (const lane of ['urgent', 'normal'] as const) {
    const queue = inboxQueue(organId, lane);
    // A channel per lane: asking for a queue that does not exist closes the channel.
    const channel = await model.createChannel();
    channel.on('error', () => undefined);
    try {
      await channel.checkQueue(queue);
    } catch {
      continue;
    }
    try {
      for (;;) {
        const batch: GetMessage[] = [];
        let bytes = 0;
        while (batch.length < BATCH && bytes < BATCH_BYTES) {
          const message = await channel.get(queue, { noAck: false });
          if (!message) break;
          batch.push(message);
          bytes += message.content.length;
        }
        if (batch.length === 0) break;
        await keep(batch.flatMap((m) => pullMail(organId, lane, m)));
        // This channel holds only this batch unacknowledged: one ack settles all of it.
        channel.ack(batch.at(-1)!, true);
        drained += batch.length;
      }
    } finally {
      await channel.close().catch(() => undefined);
    }
  }
  return drained;
}

/**
 * A message of a broker inbox as the pull inbox keeps it: a document or a status names its
 * stored package by its bus id, a receipt its stored receipt, a withdrawal carries its body.
 * Trace answers (replies to an AMQP client's question) have no place in a pull inbox.
 */
function pullMail(organId: string, lane: Lane, m: GetMessage): OutboxRecord[] {
  const type = m.properties.type as string | undefined;
  const messageId = m.properties.messageId as string | undefined;
  if (type === 'trace') return [];
  if (!type || !KEPT_TYPES.has(type) || !messageId) {
    // Only the bus publishes to an inbox, so this is a defect, not a sender's package: say so.
    logger.warn(
      `dropped a message of ${organId}'s inbox with type ${type ?? 'none'}, id ${messageId ?? 'none'}`,
    );
    return [];
  }
  const headers = Object.fromEntries(
    Object.entries((m.properties.headers ?? {}) as Record<string, unknown>).filter(
      (e): e is [string, string] => typeof e[1] === 'string',
    ),
  );
  const record: OutboxRecord = {
    destination: organId,
    channel: 'pull',
    messageType: type as MessageType,
    messageId,
    lane,
    headers,
  };
  if (type === 'receipt') return [{ ...record, receiptId: messageId }];
  if (type === 'withdrawal') return [{ ...record, body: m.content }];
  return [{ ...record, packageId: messageId }];
}
