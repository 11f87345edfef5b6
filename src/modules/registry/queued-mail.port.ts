import type { Transport } from './domain/endpoint';

/**
 * Port: mail committed for an endpoint and not taken yet. Each message's channel (a broker inbox
 * or a pull inbox) is decided when it is committed, from the transport the endpoint has then; an
 * endpoint that changes transport has what waits on the old channel moved to the new one.
 */
export abstract class QueuedMail {
  /**
   * Moves what waits for the endpoint on the channel it left to the channel of `transport`: pull
   * inbox items not yet taken become outbox rows (published to its broker inbox by the relay), or
   * outbox rows not yet published and the messages of its broker inbox become pull inbox items.
   * Returns how many moved.
   */
  abstract rehome(organId: string, transport: Transport): Promise<number>;
}
