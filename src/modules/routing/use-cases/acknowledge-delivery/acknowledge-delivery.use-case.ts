import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { SubmissionOutcome } from '../../domain/submission-outcome';
import type { TransportName } from '../../../delivery/delivery-records';
import { RejectPackage } from '../submit-package/reject-package.use-case';
import { Clock } from '../../../shared/clock';
import { isUuid } from '../../../shared/ids';
import { refusal, type Refusal } from '../../../shared/reasons';
import { DeliveryRepository } from '../../../delivery/delivery-repository.port';
import { takeFromInbox, type Transition } from '../../../delivery/domain/delivery-lifecycle';

export interface AcknowledgeDeliveryCommand {
  transport: TransportName;
  /** The endpoint that took the copy (broker `user_id`, bridge credentials). */
  authenticatedRecipient: string | null;
  /** The copy's bus id; `null` when the transport could not read the notice. */
  busId: string | null;
  transportMessageId: string | null;
  /** The notice as received, kept in quarantine if it is refused. */
  body: Uint8Array;
  receivedAt: Date;
}

export type AcknowledgeDeliveryOutcome =
  { outcome: 'recorded'; transition: Transition } | Extract<SubmissionOutcome, { outcome: 'rejected' }>;

/**
 * A recipient's system took a copy from its inbox (the SDK's `delivered` notice, a bridge fetch):
 * the copy moves from `queued` to `delivered`. A copy a recall already withdrew is flagged — the
 * recipient has it after all, and the sender must ask again with status 13. A notice for a copy
 * this endpoint never had is refused like a bad package: quarantined, with a receipt.
 */
@Injectable()
export class AcknowledgeDelivery {
  constructor(
    private readonly deliveries: DeliveryRepository,
    private readonly reject: RejectPackage,
    private readonly clock: Clock,
  ) {}

  async execute(command: AcknowledgeDeliveryCommand): Promise<AcknowledgeDeliveryOutcome> {
    const recipient = command.authenticatedRecipient;
    if (!recipient) return this.refuse(command, refusal('SENDER_UNAUTHENTICATED'));
    if (!command.busId || !isUuid(command.busId))
      return this.refuse(
        command,
        refusal('NOTICE_MALFORMED', 'a delivered notice names the copy\'s bus id: {"busId": "…"}'),
      );
    const busId = command.busId;
    const transition = await this.deliveries.recordDelivered({
      packageId: busId,
      recipient,
      transition: takeFromInbox,
      traceEvent: {
        packageId: busId,
        recipient,
        event: 'delivered',
        source: 'recipient',
        at: this.clock.now(),
        detail: command.transportMessageId ? { transportMessageId: command.transportMessageId } : undefined,
      },
    });
    if (!transition)
      return this.refuse(command, refusal('COPY_UNKNOWN', `no copy of ${busId} for ${recipient}`));
    return { outcome: 'recorded', transition };
  }

  private async refuse(
    command: AcknowledgeDeliveryCommand,
    why: Refusal,
  ): Promise<AcknowledgeDeliveryOutcome> {
    const outcome = await this.reject.execute(
      {
        transport: command.transport,
        authenticatedSender: command.authenticatedRecipient,
        declaredKind: null,
        transportMessageId: command.transportMessageId,
        possiblyRedelivered: false,
        body: command.body,
        receivedAt: command.receivedAt,
      },
      {
        sha256: createHash('sha256').update(command.body).digest('hex'),
        size: command.body.length,
        kind: null,
        claimedSender: null,
        documentId: null,
        messageType: 'delivered',
      },
      why,
    );
    if (outcome.outcome !== 'rejected') throw new Error('a refusal must end in a rejection');
    return outcome;
  }
}
