import { Logger } from '@nestjs/common';
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import { randomUUID } from 'node:crypto';
import type { StaffInfo } from '../../../modules/edoc/domain/edoc-package';
import { formatEdxmlTimestamp, writeStatusPackage } from '../../../modules/edoc/writing/write-status-package';
import { AmqpConnection } from '../amqp-connection';
import { brokerUrlList } from '../broker-nodes';
import { brokerUserOfCertificate, organOfCertificateUser } from '../certificate-user';
import { HEADERS, MESSAGE_TYPES, SUBMIT_EXCHANGE, URGENT_ROUTING_KEY, inboxQueue } from '../amqp-names';
import { SigningPool, type SigningCredentials } from '../../workers/signing-pool';
import { ConfirmPublisher } from '../confirm-publisher';
import { InMemoryProcessedMessages, type ProcessedMessageStore } from './processed-messages';

export interface EdocBusClientOptions {
  /**
   * `amqp://<organ code>:<password>@host:5672[/vhost]`, as issued by `edoc-bus endpoints provision`;
   * for a cluster, one such URL per node, comma-separated (or a list): the client connects to the
   * first that answers and moves to another when its node goes away.
   */
  url: string | readonly string[];
  /**
   * The endpoint's organ code. Defaults to the user name in the URL: the broker user is named by
   * the organ code, unless the bus names its users with a BROKER_USER_PREFIX.
   */
  organId?: string;
  organName?: string;
  /**
   * Send status 01 ("arrived") automatically once a document handler has returned. Default true.
   * When false the client sends a `delivered` notice instead (the bus then knows the copy was
   * taken) and the DMS sends 01 itself.
   */
  autoArrivedStatus?: boolean;
  prefetch?: number;
  processed?: ProcessedMessageStore;
  /**
   * The endpoint's signing key and certificate: `send` and `sendStatus` then sign every package
   * that is not signed yet (enveloped XML-DSig, the profile the bus verifies).
   */
  signing?: SigningCredentials;
  /**
   * For `amqps://` URLs: the roots that verify the broker, and the endpoint's certificate and key
   * to log in with (EXTERNAL, when the URL carries no user: no password exists).
   */
  tls?: { caPem?: string; certificatePem?: string; keyPem?: string };
}

export interface ReceivedDocument {
  busId: string;
  documentId: string;
  from: string;
  code?: string;
  promulgationDate?: string;
  /** OtherInfo/Priority: 0 Thường … 4 Hỏa tốc hẹn giờ. */
  priority: number;
  /** 0 new, 1 recall, 2 update, 3 replacement. */
  businessDocType: number;
  /** For a recall, update or replacement: the bus id of the original. */
  originalBusId?: string;
  /** It came through the urgent lane. */
  urgent: boolean;
  body: Buffer;
  redelivered: boolean;
}

/** A document the bus took back before this endpoint received it: it is never handed over. */
export interface ReceivedWithdrawal {
  busId: string;
  documentId: string;
  recalledBy?: string;
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
  /** Answers to a submission, or notices about an accepted document (`withdrawn`, `overdue`). */
  outcome: 'accepted' | 'duplicate' | 'rejected' | 'withdrawn' | 'overdue';
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
 * `trace()` of a document whose month the bus has archived: it is kept, in the archive set of
 * `archivedIn`, and an operator brings it back with `edoc-bus archive restore <archivedIn>`.
 */
export class ArchivedDocumentError extends Error {
  constructor(
    readonly busId: string,
    readonly archivedIn: string,
  ) {
    super(
      `document ${busId} is archived in ${archivedIn}: an operator restores it with edoc-bus archive restore ${archivedIn}`,
    );
    this.name = 'ArchivedDocumentError';
  }
}

/** The bus's answer to `trace()`: the document as its sender sees it (dates as ISO strings). */
export interface DocumentTraceView {
  busId: string;
  documentId: string;
  sender: string;
  businessDocType: number;
  subject: string | null;
  priority: number;
  acceptedAt: string;
  relatedPackageId: string | null;
  changes: Array<{ busId: string; businessDocType: number; acceptedAt: string }>;
  events: TraceStepView[];
  copies: Array<{
    recipient: string;
    addressedTo: string;
    state: string;
    stateAt: string;
    lastStatusCode: string | null;
    deliveredAt: string | null;
    change: { kind: string; state: string; packageId: string | null } | null;
    arrivalDueAt: string | null;
    decisionDueAt: string | null;
    overdue: 'arrival' | 'decision' | null;
    history: TraceStepView[];
  }>;
}

export interface TraceStepView {
  at: string;
  event: string;
  statusCode: string | null;
  source: string;
  stateBefore: string | null;
  stateAfter: string | null;
  flag: string | null;
  sourcePackageId: string | null;
}

const PRIORITY = /<(?:[\w-]+:)?Priority>\s*([0-4])\s*</;

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
  private withdrawalHandler: Handler<ReceivedWithdrawal> = () => undefined;
  private readonly traceWaiters = new Map<string, (answer: unknown) => void>();
  /** The delivery of each message id in progress, so that a second copy waits for the first. */
  private readonly inFlight = new Map<string, Promise<void>>();
  readonly organId: string;
  private readonly username: string;

  private constructor(private readonly options: EdocBusClientOptions) {
    const url = new URL(brokerUrlList(options.url)[0] ?? '');
    const byCertificate = !url.username && !!options.tls?.certificatePem;
    // Logged in by certificate (EXTERNAL), the broker user is the certificate's subject, and the
    // broker checks user_id against it as against a password user's name.
    this.username = byCertificate
      ? brokerUserOfCertificate(options.tls!.certificatePem!)
      : decodeURIComponent(url.username);
    this.organId = options.organId ?? organOfCertificateUser(this.username) ?? this.username;
    this.connection = new AmqpConnection(
      options.url,
      `sdk ${this.organId}`,
      options.tls
        ? {
            caPem: options.tls.caPem ?? null,
            certPem: options.tls.certificatePem ?? null,
            keyPem: options.tls.keyPem ?? null,
          }
        : null,
    );
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

  /** A document recalled before it was taken: told for the record; it is never given to onDocument. */
  onWithdrawal(handler: Handler<ReceivedWithdrawal>): this {
    this.withdrawalHandler = handler;
    return this;
  }

  /** Starts delivering the inbox to the handlers (register them first). */
  async start(): Promise<void> {
    this.consuming = true;
    await this.connection.onConnectOnce((model) => this.openConsumer(model));
  }

  /**
   * Submits a package; resolves once the broker has it, with its message id and the exact bytes
   * sent (signed, when the client signs) — what the bus's receipt hashes. A document with
   * OtherInfo/Priority 1–4 (Khẩn and above) travels in the urgent lane unless `urgent` says otherwise.
   */
  async send(
    pkg: string | Uint8Array,
    options: { messageId?: string; kind?: 'edoc' | 'status'; sign?: boolean; urgent?: boolean } = {},
  ): Promise<{ messageId: string; bytes: Buffer }> {
    const messageId = options.messageId ?? randomUUID();
    const kind = options.kind ?? 'edoc';
    const text = typeof pkg === 'string' ? pkg : Buffer.from(pkg).toString('utf8');
    const urgent = options.urgent ?? (kind === 'edoc' && Number(PRIORITY.exec(text)?.[1] ?? 0) >= 1);
    const signing = this.options.signing;
    const body = Buffer.from(
      signing && options.sign !== false && !isSigned(text)
        ? await SigningPool.instance.sign(text, signing)
        : text,
      'utf8',
    );
    await this.publishWithRetry(() =>
      this.publisher.publish(SUBMIT_EXCHANGE, urgent ? URGENT_ROUTING_KEY : kind, body, {
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

  /**
   * Reports on a received document (01 … 06, or 15/16 to answer a take-back request). For 13 use
   * `requestRecall`: there `ResponseFor` names the recipient, not the sender.
   */
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
    // A request to take a document back races the copy to the recipient: it goes in the urgent lane.
    return this.send(xml, { kind: 'status', urgent: statusCode === '13' });
  }

  /**
   * Asks a recipient to give back a document this endpoint sent (status 13). If the copy is still
   * in the recipient's inbox the bus withdraws it at once and says so in a `withdrawn` receipt;
   * otherwise the recipient answers 15 (agreed) or 16 (refused).
   */
  async requestRecall(
    document: { documentId: string; code?: string; promulgationDate?: string },
    recipient: string,
    reason = 'Đề nghị thu hồi văn bản',
  ): Promise<{ messageId: string; bytes: Buffer }> {
    return this.sendStatus({ ...document, from: recipient }, '13', reason);
  }

  /**
   * The whole picture of a document this endpoint sent: one line per recipient with its state,
   * change request, deadlines and history. `null` if the bus knows no such document of ours.
   */
  async trace(
    ref: { busId: string } | { documentId: string },
    timeoutMs = 15_000,
  ): Promise<DocumentTraceView | null> {
    if (!this.consuming) throw new Error('call start() before trace(): the answer arrives in the inbox');
    const requestId = randomUUID();
    const answer = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.traceWaiters.delete(requestId);
        reject(new Error(`no trace answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.traceWaiters.set(requestId, (value) => {
        clearTimeout(timer);
        resolve(value);
      });
    });
    try {
      await this.publishNotice(MESSAGE_TYPES.traceRequest, requestId, ref, true);
    } catch (error) {
      this.traceWaiters.get(requestId)?.(null);
      this.traceWaiters.delete(requestId);
      throw error;
    }
    const result = (await answer) as {
      found?: boolean;
      trace?: DocumentTraceView;
      error?: string;
      archivedIn?: string;
      busId?: string;
    } | null;
    if (result?.error) throw new Error(`the bus refused the trace request: ${result.error}`);
    if (result?.archivedIn) throw new ArchivedDocumentError(result.busId ?? '', result.archivedIn);
    return result?.found && result.trace ? result.trace : null;
  }

  /** Transport notices (`delivered`, `trace-request`): small JSON messages to the bus. */
  private async publishNotice(
    type: string,
    messageId: string,
    content: object,
    urgent = false,
  ): Promise<void> {
    await this.publishWithRetry(() =>
      this.publisher.publish(
        SUBMIT_EXCHANGE,
        urgent ? URGENT_ROUTING_KEY : type,
        Buffer.from(JSON.stringify(content)),
        {
          messageId,
          type,
          userId: this.username,
          contentType: 'application/json',
          persistent: true,
          timestamp: Math.floor(Date.now() / 1000),
        },
      ),
    );
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
    // The urgent lane first: urgent mail, withdrawals and answers overtake a backlog of ordinary mail.
    for (const lane of ['urgent', 'normal'] as const) {
      await channel.consume(inboxQueue(this.organId, lane), (msg) => {
        if (msg) void this.deliver(channel, msg, lane === 'urgent');
      });
    }
  }

  /**
   * Deliveries of the same message (a copy the bus published twice after a crash, arriving
   * together) run one after the other: the second sees the first's record and is not handed over
   * again. Different messages go on concurrently.
   */
  private deliver(channel: Channel, msg: ConsumeMessage, urgentLane: boolean): Promise<void> {
    const id = String(msg.properties.messageId ?? '');
    if (!id) return this.deliverNow(channel, msg, urgentLane);
    const key = `${String(msg.properties.type)}:${id}`;
    // Only a second copy of a message in hand waits; the usual delivery starts at once.
    const previous = this.inFlight.get(key);
    const run = previous
      ? previous.then(() => this.deliverNow(channel, msg, urgentLane))
      : this.deliverNow(channel, msg, urgentLane);
    this.inFlight.set(key, run);
    void run.finally(() => {
      if (this.inFlight.get(key) === run) this.inFlight.delete(key);
    });
    return run;
  }

  private async deliverNow(channel: Channel, msg: ConsumeMessage, urgentLane: boolean): Promise<void> {
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
            priority: Number(text(HEADERS.priority) ?? 0) || 0,
            businessDocType: Number(text(HEADERS.businessDocType) ?? 0) || 0,
            originalBusId: text(HEADERS.originalBusId),
            urgent: urgentLane,
            body: msg.content,
            redelivered: msg.fields.redelivered,
          };
          if (await this.processed.has(withdrawnKey(doc.busId))) break; // recalled before we took it
          if (!handledBefore) {
            await this.documentHandler(doc);
            if (id) await this.processed.add(key);
          }
          // The answer is remembered separately: if sending it failed, the redelivery sends it
          // without handing the document to the handler a second time.
          const answerKey = `${key}:taken`;
          if (!(id && (await this.processed.has(answerKey)))) {
            if (this.options.autoArrivedStatus !== false) await this.sendStatus(doc, '01', 'Đã đến');
            else
              await this.publishNotice(MESSAGE_TYPES.delivered, `${doc.busId}:delivered`, {
                busId: doc.busId,
              });
            if (id) await this.processed.add(answerKey);
          }
          break;
        }
        case 'withdrawal': {
          const notice = parseJson(msg.content) as {
            busId?: unknown;
            documentId?: unknown;
            recalledBy?: unknown;
          } | null;
          const busId = typeof notice?.busId === 'string' ? notice.busId : text(HEADERS.busId);
          if (!busId) break;
          await this.processed.add(withdrawnKey(busId));
          if (!handledBefore) {
            await this.withdrawalHandler({
              busId,
              documentId:
                typeof notice?.documentId === 'string' ? notice.documentId : (text(HEADERS.documentId) ?? ''),
              recalledBy: typeof notice?.recalledBy === 'string' ? notice.recalledBy : undefined,
            });
          }
          break;
        }
        case 'trace': {
          const waiter = this.traceWaiters.get(text(HEADERS.correlationId) ?? '');
          if (waiter) {
            this.traceWaiters.delete(text(HEADERS.correlationId) ?? '');
            waiter(parseJson(msg.content));
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

function withdrawnKey(busId: string): string {
  return `withdrawn:${busId}`;
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return null;
  }
}

/** Whether a package already carries an XML-DSig signature (then the SDK leaves it as it is). */
function isSigned(xml: string): boolean {
  return xml.includes('http://www.w3.org/2000/09/xmldsig#');
}
