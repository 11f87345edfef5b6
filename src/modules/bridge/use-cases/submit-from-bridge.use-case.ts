import { Injectable } from '@nestjs/common';
import type { PackageKind } from '../../edoc/inspection/package-inspection.port';
import { canonicalOrganCode } from '../../registry/domain/organ-code';
import type { SubmissionOutcome } from '../../routing/domain/submission-outcome';
import type { TransportName } from '../../delivery/delivery-records';
import { SubmitPackage } from '../../routing/use-cases/submit-package/submit-package.use-case';
import { Clock } from '../../shared/clock';
import type { PackageBody } from '../../shared/package-body';
import { BridgeRefusals } from '../bridge-calls.port';
import type { BridgeRefusal } from '../domain/bridge-refusal';
import { axisFileHashMatches } from '../domain/axis-signature';

export interface SubmitFromBridgeCommand {
  transport: TransportName;
  /** The endpoint the credentials belong to. */
  organId: string;
  /** The sender the call names (axis header `from`), if it names one. */
  claimedFrom: string | null;
  /** `edoc` or `status` as the call says (anything else is refused); `null`: a document. */
  messageType: string | null;
  /** The package as it arrived (with its SHA-256 hex, if the transport hashed it), or why there is none. */
  upload: { body: PackageBody; sha256: string | null } | { problem: string };
  /**
   * SHA-256 of the uploaded bytes as the client signed it (axis `hash-file`, zero-padded hex or the
   * SDK's unpadded spelling), if any.
   */
  signedFileHash: string | null;
  remote: string | null;
}

const KINDS: readonly PackageKind[] = ['edoc', 'status'];

export type SubmitFromBridgeResult =
  { ok: true; outcome: SubmissionOutcome } | ({ ok: false } & BridgeRefusal);

/**
 * A package uploaded by a polling endpoint: the call must carry a package of a known kind, name
 * its own organ and carry the file it signed; then it is one more submission like any other (same
 * checks, same receipts). Every call refused here is recorded, whichever bridge it came through.
 */
@Injectable()
export class SubmitFromBridge {
  constructor(
    private readonly submit: SubmitPackage,
    private readonly refusals: BridgeRefusals,
    private readonly clock: Clock,
  ) {}

  async execute(command: SubmitFromBridgeCommand): Promise<SubmitFromBridgeResult> {
    const now = this.clock.now();
    const refuse = async (code: BridgeRefusal['code'], reason: string) => {
      await this.refusals.record({
        at: now,
        transport: command.transport,
        operation: 'send',
        claimed: command.claimedFrom ?? command.organId,
        code,
        reason,
        remote: command.remote,
      });
      return { ok: false as const, code, reason };
    };
    if ('problem' in command.upload) return refuse('BAD_REQUEST', command.upload.problem);
    const kind = (command.messageType ?? 'edoc').toLowerCase() as PackageKind;
    if (!KINDS.includes(kind))
      return refuse(
        'BAD_REQUEST',
        `the message type is edoc or status, not ${command.messageType?.slice(0, 50)}`,
      );
    if (command.claimedFrom !== null) {
      const claimed = canonicalOrganCode(command.claimedFrom) ?? command.claimedFrom;
      if (claimed !== command.organId)
        return refuse(
          'FROM_MISMATCH',
          `from ${command.claimedFrom} is not the authenticated ${command.organId}`,
        );
    }
    const { body, sha256 } = command.upload;
    if (
      command.signedFileHash !== null &&
      (sha256 === null || !axisFileHashMatches(command.signedFileHash, sha256))
    )
      return refuse('BAD_REQUEST', 'the uploaded file is not the one whose hash-file was signed');
    const outcome = await this.submit.execute({
      transport: command.transport,
      authenticatedSender: command.organId,
      declaredKind: kind,
      transportMessageId: null,
      possiblyRedelivered: false,
      body,
      receivedAt: now,
    });
    return { ok: true, outcome };
  }
}
