import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { PackageInspection } from '../../../edoc/inspection/package-inspection.port';
import { Directory } from '../../../registry/directory';
import { canonicalOrganCode } from '../../../registry/domain/organ-code';
import { isSpooled } from '../../../shared/package-body';
import { refusal } from '../../../shared/reasons';
import { AssessSignature } from '../../../trust/assess-signature.use-case';
import type { SubmissionOutcome } from '../../domain/submission-outcome';
import { SubmissionMetrics } from '../../submission-metrics.port';
import { SubmissionSettings } from '../../submission-settings';
import { SubmissionRepository } from '../../submission-repository.port';
import { AcceptDocument } from './accept-document.use-case';
import { AcceptStatus } from './accept-status.use-case';
import { RejectPackage, type RejectionFacts } from './reject-package.use-case';
import type { SubmitPackageCommand } from './submit-package.command';

/**
 * The one entry point for every package, whatever transport brought it:
 * authenticated sender → (redelivery?) → inspection off-thread (prescan, parse, schema,
 * signature and certificate path, model) → binding From = connection → trust (policy, certificate
 * = sender, revocation) → route a document or record a status.
 * Every path ends in a durable record: an accepted package or a quarantined refusal.
 */
@Injectable()
export class SubmitPackage {
  constructor(
    private readonly inspection: PackageInspection,
    private readonly directory: Directory,
    private readonly repository: SubmissionRepository,
    private readonly acceptDocument: AcceptDocument,
    private readonly acceptStatus: AcceptStatus,
    private readonly reject: RejectPackage,
    private readonly settings: SubmissionSettings,
    private readonly metrics: SubmissionMetrics,
    private readonly assessSignature: AssessSignature,
  ) {}

  async execute(command: SubmitPackageCommand): Promise<SubmissionOutcome> {
    const started = performance.now();
    const outcome = await this.decide(command);
    const kind =
      outcome.outcome === 'accepted' || outcome.outcome === 'duplicate'
        ? outcome.kind
        : (command.declaredKind ?? 'unknown');
    this.metrics.countOutcome(
      kind,
      outcome.outcome,
      outcome.outcome === 'rejected' ? outcome.refusal.code : null,
    );
    this.metrics.observeStage('total', (performance.now() - started) / 1000);
    return outcome;
  }

  private async decide(command: SubmitPackageCommand): Promise<SubmissionOutcome> {
    const sender = command.authenticatedSender;
    const senderCheck = await this.checkSender(sender);
    if (senderCheck || !sender) {
      return this.reject.execute(
        command,
        this.bareFacts(command),
        senderCheck ?? refusal('SENDER_UNAUTHENTICATED'),
      );
    }

    if (command.transportMessageId && command.possiblyRedelivered) {
      const seen = await this.repository.findByTransportMessage(sender, command.transportMessageId);
      if (seen) return { outcome: 'replayed', busId: seen.kind === 'package' ? seen.busId : null };
    }

    const t0 = performance.now();
    const inspected = await this.inspection.inspect({
      bytes: command.body,
      declaredKind: command.declaredKind,
      limits: this.settings.xmlLimits,
    });
    this.metrics.observeStage('inspect', (performance.now() - t0) / 1000);
    if (!inspected.ok) {
      return this.reject.execute(
        command,
        {
          sha256: inspected.sha256,
          size: inspected.size,
          kind: inspected.kind,
          claimedSender: inspected.claimedSender,
          documentId: inspected.documentId,
        },
        inspected.refusal,
      );
    }

    const claimed =
      inspected.kind === 'edoc' ? inspected.model.header.from.organId : inspected.model.from.organId;
    if (canonicalOrganCode(claimed) !== sender) {
      const documentId =
        inspected.kind === 'edoc'
          ? inspected.model.header.documentId
          : (inspected.model.responseFor.documentId ?? null);
      return this.reject.execute(
        command,
        {
          sha256: inspected.sha256,
          size: inspected.size,
          kind: inspected.kind,
          claimedSender: claimed,
          documentId,
        },
        refusal(
          'SENDER_MISMATCH',
          `From/OrganId is "${claimed}" but the connection is authenticated as ${sender}`,
        ),
      );
    }

    const documentId =
      inspected.kind === 'edoc'
        ? inspected.model.header.documentId
        : (inspected.model.responseFor.documentId ?? null);
    const endpoint = await this.directory.endpoint(sender);
    const t1 = performance.now();
    const trust = await this.assessSignature.execute({
      kind: inspected.kind,
      outcome: inspected.signature,
      policy: endpoint?.signaturePolicy ?? 'strict',
      sender,
      pdfSignatures: inspected.kind === 'edoc' ? inspected.pdfSignatures : undefined,
    });
    this.metrics.observeStage('trust', (performance.now() - t1) / 1000);
    if (!trust.ok) {
      return this.reject.execute(
        command,
        {
          sha256: inspected.sha256,
          size: inspected.size,
          kind: inspected.kind,
          claimedSender: claimed,
          documentId,
        },
        trust.refusal,
      );
    }

    const t2 = performance.now();
    try {
      return inspected.kind === 'edoc'
        ? await this.acceptDocument.execute(command, sender, { ...inspected, signature: trust.record })
        : await this.acceptStatus.execute(command, sender, { ...inspected, signature: trust.record });
    } finally {
      this.metrics.observeStage('persist', (performance.now() - t2) / 1000);
    }
  }

  private async checkSender(sender: string | null) {
    if (!sender) return refusal('SENDER_UNAUTHENTICATED', 'the message carries no broker-validated user_id');
    const endpoint = await this.directory.endpoint(sender);
    if (!endpoint) return refusal('SENDER_NOT_REGISTERED', `${sender} is not a registered endpoint`);
    if (endpoint.status === 'locked')
      return refusal('SENDER_LOCKED', ...(endpoint.statusReason ? [endpoint.statusReason] : []));
    if (endpoint.status === 'closed') return refusal('SENDER_NOT_REGISTERED', `${sender} is closed`);
    return null;
  }

  private bareFacts(command: SubmitPackageCommand): RejectionFacts {
    const body = command.body;
    return {
      sha256: isSpooled(body) ? body.sha256 : createHash('sha256').update(body).digest('hex'),
      size: command.body.length,
      kind: command.declaredKind,
      claimedSender: null,
      documentId: null,
    };
  }
}
