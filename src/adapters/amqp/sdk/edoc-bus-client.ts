import { Logger } from '@nestjs/common';
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import { randomUUID } from 'node:crypto';
import type { StaffInfo } from '../../../modules/edoc/domain/edoc-package';
import { formatEdxmlTimestamp, writeStatusPackage } from '../../../modules/edoc/writing/write-status-package';
import { AmqpConnection } from '../amqp-connection';
import { HEADERS, SUBMIT_EXCHANGE, inboxQueue } from '../amqp-names';
import { SigningPool, type SigningCredentials } from '../../workers/signing-pool';
import { ConfirmPublisher } from '../confirm-publisher';
import { InMemoryProcessedMessages, type ProcessedMessageStore } from './processed-messages';

export interface EdocBusClientOptions {
  /** `amqp://<organ code>:<password>@host:5672[/vhost]`, as issued by `edoc-bus endpoints provision`. */
  url: string;
  /** Defaults to the user name in the URL (the broker user is named by the organ code). */
  organId?: string;
  organName?: string;
  /** Send status 01 ("arrived") automatically once a document handler has returned. Default true. */
  autoArrivedStatus?: boolean;
  prefetch?: number;
  processed?: ProcessedMessageStore;
  /**
   * The endpoint's signing key and certificate: `send` and `sendStatus` then sign every package
   * that is not signed yet (enveloped XML-DSig, the profile the bus verifies).
   */
  signing?: SigningCredentials;
}

export interface ReceivedDocument {
  busId: string;
  documentId: string;
  from: string;
  code?: string;
  promulgationDate?: string;
  body: Buffer;
  redelivered: boolean;
}

export interface ReceivedStatus {
  busId: string;
  documentBusId: string;
  documentId: string;
  from: string;
  statusCode: string;
  body: Buffer;
}

export interface ReceivedReceipt {
  receiptId: string;
  outcome: 'accepted' | 'duplicate' | 'rejected';
  busId?: string;
  documentId?: string;
  /** The `message_id` the sender gave the package this receipt answers. */
  correlationId?: string;
  reason?: string;
  body: Buffer;
}

/** The document a status is about, as a DMS knows it (a ReceivedDocument fits). */
export interface DocumentReference {
  documentId: string;
  /** The document's sender. */
  from: string;
  code?: string;
  promulgationDate?: string;
}

type Handler<T> = (item: T) => Promise<void> | void;

/**
 * The client library for a ministry's document system: connect as an endpoint, send packages,
 * receive documents, statuses and receipts from the endpoint's inbox.
 *
 * Guarantees: `send` resolves only after the broker confirmed the package (it is then the bus's
 * responsibility); a received message is acknowledged only after its handler returned, and one
 * already handled is never handed over twice in this process. Reconnects by itself.
 */
export class EdocBusClient {
  private readonly logger: Logger;
  private readonly connection: AmqpConnection;
  private readonly publisher: ConfirmPublisher;
  private readonly processed: ProcessedMessageStore;
  private channel: Channel | null = null;
  private consuming = false;
  private closing = false;
  private documentHandler: Handler<ReceivedDocument> = () => undefined;
  private statusHandler: Handler<ReceivedStatus> = () => undefined;
  private receiptHandler: Handler<ReceivedReceipt> = () => undefined;
  readonly organId: string;
  private readonly username: string;

  private constructor(private readonly options: EdocBusClientOptions) {
    const url = new URL(options.url);
    this.username = decodeURIComponent(url.username);
    this.organId = options.organId ?? this.username;
    this.connection = new AmqpConnection(options.url, `sdk ${this.organId}`);
    this.publisher = new ConfirmPublisher(this.connection);
    this.processed = options.processed ?? new InMemoryProcessedMessages();
    this.logger = new Logger(`edoc-sdk:${this.organId}`);
  }

  static async connect(options: EdocBusClientOptions): Promise<EdocBusClient> {
    const client = new EdocBusClient(options);
    await client.publisher.init();
    await client.connection.onConnect((model) => client.openConsumer(model));
    await client.connection.start({ initialRetries: 3 });
    return client;
  }

  onDocument(handler: Handler<ReceivedDocument>): this {
    this.documentHandler = handler;
    return this;
  }

  onStatus(handler: Handler<ReceivedStatus>): this {
    this.statusHandler = handler;
    return this;
  }

  onReceipt(handler: Handler<ReceivedReceipt>): this {
    this.receiptHandler = handler;
    return this;
  }

  /** Starts delivering the inbox to the handlers (register them first). */
  async start(): Promise<void> {
    this.consuming = true;
    await this.connection.onConnectOnce((model) => this.openConsumer(model));
  }

  /**
   * Submits a package; resolves once the broker has it, with its message id and the exact bytes
   * sent (signed, when the client signs) — what the bus's receipt hashes.
   */
  async send(
    pkg: string | Uint8Array,
    options: { messageId?: string; kind?: 'edoc' | 'status'; sign?: boolean } = {},
  ): Promise<{ messageId: string; bytes: Buffer }> {
    const messageId = options.messageId ?? randomUUID();
    const kind = options.kind ?? 'edoc';
    const text = typeof pkg === 'string' ? pkg : Buffer.from(pkg).toString('utf8');
    const signing = this.options.signing;
    const body = Buffer.from(
      signing && options.sign !== false && !isSigned(text)
        ? await SigningPool.instance.sign(text, signing)
        : text,
      'utf8',
    );
    await this.publishWithRetry(() =>
      this.publisher.publish(SUBMIT_EXCHANGE, kind, body, {
        messageId,
        type: kind,
        userId: this.username,
        contentType: 'application/xml',
        persistent: true,
        timestamp: Math.floor(Date.now() / 1000),
      }),
    );
    return { messageId, bytes: body };
  }

  /** Reports on a received document (01 … 06, or 15/16 to answer a take-back request). */
  async sendStatus(
    document: DocumentReference,
    statusCode: string,
    description?: string,
    staff?: StaffInfo,
  ): Promise<{ messageId: string; bytes: Buffer }> {
    const xml = writeStatusPackage({
      from: { organId: this.organId, organName: this.options.organName },
      responseFor: {
        organId: document.from,
        code: document.code,
        promulgationDate: document.promulgationDate,
        documentId: document.documentId,
      },
      staffInfo: staff,
      statusCode,
      description,
      timestamp: formatEdxmlTimestamp(new Date()),
    });
    return this.send(xml, { kind: 'status' });
  }

  async close(): Promise<void> {
    this.closing = true;
    this.consuming = false;
    await this.channel?.close().catch(() => undefined);
    this.channel = null;
    await this.publisher.close();
    await this.connection.close();
  }

  private async publishWithRetry(publish: () => Promise<void>): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        return await publish();
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }

  private async openConsumer(model: ChannelModel): Promise<void> {
    if (!this.consuming || this.channel) return;
    const channel = await model.createChannel();
    await channel.prefetch(this.options.prefetch ?? 16);
    channel.on('error', (err: Error) => this.logger.warn(`inbox channel error: ${err.message}`));
    channel.on('close', () => {
      if (this.channel === channel) this.channel = null;
    });
    this.channel = channel;
    await channel.consume(inboxQueue(this.organId), (msg) => {
      if (msg) void this.deliver(channel, msg);
    });
  }

  private async deliver(channel: Channel, msg: ConsumeMessage): Promise<void> {
    const id = String(msg.properties.messageId ?? '');
    const key = `${String(msg.properties.type)}:${id}`;
    try {
      const h = (msg.properties.headers ?? {}) as Record<string, unknown>;
      const text = (name: string) => headerText(h[name]);
      const handledBefore = id !== '' && (await this.processed.has(key));
      switch (msg.properties.type) {
        case 'edoc': {
          const doc: ReceivedDocument = {
            busId: text(HEADERS.busId) ?? id,
            documentId: text(HEADERS.documentId) ?? '',
            from: text(HEADERS.from) ?? '',
            code: text(HEADERS.code),
            promulgationDate: text(HEADERS.promulgationDate),
            body: msg.content,
            redelivered: msg.fields.redelivered,
          };
          if (!handledBefore) {
            await this.documentHandler(doc);
            if (id) await this.processed.add(key);
          }
          // 01 is remembered separately: if sending it failed, the redelivery sends it without
          // handing the document to the handler a second time.
          const arrivedKey = `${key}:01`;
          if (this.options.autoArrivedStatus !== false && !(id && (await this.processed.has(arrivedKey)))) {
            await this.sendStatus(doc, '01', 'Đã đến');
            if (id) await this.processed.add(arrivedKey);
          }
          break;
        }
        case 'status':
          if (handledBefore) break;
          await this.statusHandler({
            busId: text(HEADERS.busId) ?? id,
            documentBusId: text(HEADERS.documentBusId) ?? '',
            documentId: text(HEADERS.documentId) ?? '',
            from: text(HEADERS.from) ?? '',
            statusCode: text(HEADERS.statusCode) ?? '',
            body: msg.content,
          });
          break;
        case 'receipt':
          if (handledBefore) break;
          await this.receiptHandler({
            receiptId: id,
            outcome: (text(HEADERS.receiptOutcome) ?? 'accepted') as ReceivedReceipt['outcome'],
            busId: text(HEADERS.busId),
            documentId: text(HEADERS.documentId),
            correlationId: text(HEADERS.correlationId),
            reason: text(HEADERS.reason),
            body: msg.content,
          });
          break;
        default:
          this.logger.warn(`ignoring message of unknown type "${String(msg.properties.type)}"`);
      }
      if (id && !handledBefore) await this.processed.add(key);
      channel.ack(msg);
    } catch (error) {
      if (this.closing) return; // the broker redelivers what we did not acknowledge
      this.logger.warn(
        `handler failed for ${key}: ${error instanceof Error ? error.message : String(error)}; will be redelivered`,
      );
      try {
        channel.nack(msg, false, true);
      } catch {
        // channel already closed: the broker redelivers
      }
    }
  }
}

/** AMQP header values arrive as strings, numbers or (long strings from some clients) Buffers. */
function headerText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return undefined;
}

/** Whether a package already carries an XML-DSig signature (then the SDK leaves it as it is). */
function isSigned(xml: string): boolean {
  return xml.includes('http://www.w3.org/2000/09/xmldsig#');
}
