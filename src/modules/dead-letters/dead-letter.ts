import type { Channel } from '../delivery/domain/channel';

/**
 * A message the bus or a recipient could not process after repeated attempts, kept whole so an
 * operator can see why and send it again once the cause is fixed.
 */
export interface DeadLetter {
  id: string;
  /** Identifies one death of one message: storing the same death twice is a no-op. */
  fingerprint: string;
  /** The queue it died in (`edoc.ingress`, `edoc.inbox.<organ>`…, `pull.<organ>`). */
  queue: string;
  /** Where it died, so where a redelivery puts it back: a broker queue, or a polling endpoint's pull inbox. */
  channel: Channel;
  reason: string;
  messageId: string | null;
  messageType: string | null;
  /** The organ whose broker-validated user published it (the sender, for ingress messages). */
  userId: string | null;
  /** The message's properties, so that a redelivery carries them unchanged. */
  properties: MessageProperties;
  headers: Record<string, unknown>;
  body: Uint8Array;
  deadAt: Date;
}

export interface MessageProperties {
  contentType?: string;
  contentEncoding?: string;
  correlationId?: string;
  replyTo?: string;
  appId?: string;
  priority?: number;
  /** Seconds since the epoch, as AMQP carries it. */
  timestamp?: number;
}

export interface Redelivery {
  actor: string;
  reason: string;
  at: Date;
}

export interface DeadLetterSummary {
  id: string;
  queue: string;
  reason: string;
  messageId: string | null;
  messageType: string | null;
  userId: string | null;
  size: number;
  deadAt: Date;
  redeliveries: number;
  lastRedeliveredAt: Date | null;
}

export interface DeadLetterDetail extends DeadLetter {
  redeliveries: Redelivery[];
}
