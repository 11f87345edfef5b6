import { Logger } from '@nestjs/common';
import type { ConsumeMessage } from 'amqplib';
import type { PackageKind } from '../../modules/edoc/inspection/package-inspection.port';
import type { AcknowledgeDelivery } from '../../modules/routing/use-cases/acknowledge-delivery/acknowledge-delivery.use-case';
import type { GetDocumentTrace } from '../../modules/delivery/use-cases/get-document-trace.use-case';
import type { LocateArchivedDocument } from '../../modules/retention/use-cases/locate-archived-document.use-case';
import type { SubmitPackage } from '../../modules/routing/use-cases/submit-package/submit-package.use-case';
import type { Clock } from '../../modules/shared/clock';
import { HEADERS, MESSAGE_TYPES } from './amqp-names';
import { authenticatedSender, type BrokerIdentities } from './dead-letters';
import type { OutboxRelay } from './outbox-relay';

/** Transport notices are tiny JSON objects; anything larger is refused unread. */
const MAX_NOTICE_BYTES = 4096;

export interface IngressUseCases {
  submitPackage: SubmitPackage;
  acknowledgeDelivery: AcknowledgeDelivery;
  getDocumentTrace: GetDocumentTrace;
  locateArchivedDocument: LocateArchivedDocument;
}

/**
 * Driving adapter: turns each message on `edoc.ingress` / `edoc.ingress.urgent` into a use case
 * call, by AMQP `type`:
 * - `edoc`, `status` (or none): SubmitPackage;
 * - `delivered` `{"busId"}`: AcknowledgeDelivery (the SDK took a copy and does not send 01 itself);
 * - `trace-request` `{"busId"}` or `{"documentId"}`: GetDocumentTrace, answered with a `trace`
 *   message in the asker's urgent inbox, correlated by `x-edoc-correlation-id`.
 * The sender is always the broker-validated user, never anything inside the message.
 */
export class IngressHandler {
  private readonly logger = new Logger('ingress');

  constructor(
    private readonly useCases: IngressUseCases,
    private readonly replies: Pick<OutboxRelay, 'publishTransient'>,
    private readonly clock: Clock,
    private readonly identities: BrokerIdentities,
  ) {}

  readonly handle = async (msg: ConsumeMessage): Promise<void> => {
    const p = msg.properties;
    const sender = authenticatedSender(msg, this.identities);
    const transportMessageId =
      typeof p.messageId === 'string' && p.messageId !== '' ? p.messageId.slice(0, 200) : null;
    const receivedAt = this.clock.now();
    switch (p.type) {
      case MESSAGE_TYPES.delivered: {
        const notice = readNotice(msg.content);
        await this.useCases.acknowledgeDelivery.execute({
          transport: 'amqp',
          authenticatedRecipient: sender,
          busId: notice?.busId ?? null,
          transportMessageId,
          body: msg.content,
          receivedAt,
        });
        return;
      }
      case MESSAGE_TYPES.traceRequest:
        await this.answerTrace(sender, transportMessageId, msg.content);
        return;
      default:
        await this.useCases.submitPackage.execute({
          transport: 'amqp',
          authenticatedSender: sender,
          declaredKind: kindOf(p.type),
          transportMessageId,
          possiblyRedelivered: msg.fields.redelivered,
          body: msg.content,
          receivedAt,
        });
    }
  };

  private async answerTrace(requester: string | null, requestId: string | null, body: Buffer): Promise<void> {
    if (!requester || !requestId) {
      this.logger.warn(
        `trace request without ${requester ? 'message_id' : 'an authenticated sender'} dropped`,
      );
      return;
    }
    const query = readNotice(body);
    const trace =
      query && (query.busId || query.documentId)
        ? await this.useCases.getDocumentTrace.execute({
            requester,
            busId: query.busId,
            documentId: query.documentId,
          })
        : null;
    // Not in the database: perhaps its month went to the archive (the register says which).
    const archived =
      query && !trace
        ? await this.useCases.locateArchivedDocument.forSender(requester, {
            busId: query.busId,
            documentId: query.documentId,
          })
        : null;
    const answer = query
      ? trace
        ? { found: true, trace }
        : archived
          ? { found: false, archivedIn: archived.archivedIn, busId: archived.busId }
          : { found: false }
      : { found: false, error: 'malformed request' };
    await this.replies.publishTransient({
      destination: requester,
      lane: 'urgent',
      type: MESSAGE_TYPES.trace,
      messageId: `${requestId}:trace`,
      contentType: 'application/json',
      body: Buffer.from(JSON.stringify(answer)),
      headers: { [HEADERS.correlationId]: requestId },
    });
  }
}

function kindOf(type: unknown): PackageKind | null {
  return type === 'edoc' || type === 'status' ? type : null;
}

/** `{"busId": "…"}` or `{"documentId": "…"}`; `null` if it is anything else. */
function readNotice(body: Buffer): { busId?: string; documentId?: string } | null {
  if (body.length > MAX_NOTICE_BYTES) return null;
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    if (typeof value !== 'object' || value === null) return null;
    const { busId, documentId } = value as Record<string, unknown>;
    const ok = (v: unknown) => v === undefined || (typeof v === 'string' && v.length > 0 && v.length <= 200);
    if (!ok(busId) || !ok(documentId)) return null;
    return { busId: busId as string | undefined, documentId: documentId as string | undefined };
  } catch {
    return null;
  }
}
