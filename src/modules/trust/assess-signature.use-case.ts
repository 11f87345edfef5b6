import { Injectable } from '@nestjs/common';
import { refusal, type Refusal } from '../shared/reasons';
import type { ValidatedChain } from './pki/chain-validator';
import { decideLegacy, decideUnsigned, type SignaturePolicy } from './policy/signature-policy';
import { RevocationChecker } from './revocation/revocation-checker';
import type { RevocationUse } from './revocation/revocation';
import type { PdfSignatureFinding } from './pdf/pdf-signatures';
import type { PdfSignatureReport, SignatureRecord } from './signature-record';
import type { XmlSignatureOutcome } from './xmldsig/xml-signature-verifier';

export interface SignatureAssessmentInput {
  kind: 'edoc' | 'status';
  outcome: Exclude<XmlSignatureOutcome, { status: 'refused' }>;
  policy: SignaturePolicy;
  /** The organ the connection is authenticated as (= From/OrganId, already checked). */
  sender: string;
  pdfSignatures?: PdfSignatureFinding[];
}

/** Global trust settings, from the validated configuration. */
export abstract class TrustSettings {
  /** `report` (default): PDF signatures are reported; `refuse-invalid`: an invalid one refuses the package. */
  abstract readonly pdfSignaturePolicy: 'report' | 'refuse-invalid';
}

/**
 * The trust decision about one package, on the main thread, after the worker has checked the
 * signature's structure, algorithms, certificate path and cryptography: the endpoint's policy,
 * the binding of the certificate to the sender, and revocation of every certificate in the path.
 */
type Assessment = { ok: true; record: SignatureRecord } | { ok: false; refusal: Refusal };

@Injectable()
export class AssessSignature {
  constructor(
    private readonly revocation: RevocationChecker,
    private readonly settings: TrustSettings,
  ) {}

  async execute(input: SignatureAssessmentInput): Promise<Assessment> {
    const decided = await this.decide(input);
    if (!decided.ok || !input.pdfSignatures || input.pdfSignatures.length === 0) return decided;
    const pdf = await Promise.all(input.pdfSignatures.map((f) => this.pdfReport(f)));
    const bad = pdf.filter((p) => p.status !== 'valid');
    if (bad.length > 0 && this.settings.pdfSignaturePolicy === 'refuse-invalid') {
      const details = bad.map(
        (b) =>
          `${b.attachment}${b.entry ? `/${b.entry}` : ''}: ${b.status}${b.reason ? ` (${b.reason})` : ''}`,
      );
      return { ok: false, refusal: refusal('PDF_SIGNATURE_INVALID', ...details) };
    }
    return { ok: true, record: { ...decided.record, pdf } };
  }

  private async pdfReport(f: PdfSignatureFinding): Promise<PdfSignatureReport> {
    const base = {
      attachment: f.attachment,
      entry: f.entry,
      signer: f.signer?.subject,
      organId: f.signer?.organId,
      signingTime: f.signingTime,
    };
    if (f.status !== 'verified' || !f.chain)
      return { ...base, status: f.status === 'verified' ? 'invalid' : f.status, reason: f.reason };
    const revocation = await this.revocationOf(f.chain);
    if ('refusal' in revocation) {
      const status = revocation.refusal.code === 'CERT_REVOKED' ? 'revoked' : 'revocation-unknown';
      return { ...base, status, reason: revocation.refusal.details.join('; ') };
    }
    return { ...base, status: 'valid' };
  }

  private async decide(input: SignatureAssessmentInput): Promise<Assessment> {
    const { outcome, policy } = input;
    if (outcome.status === 'absent') {
      const decision = decideUnsigned(policy, input.kind, outcome.note);
      return decision.ok
        ? { ok: true, record: { status: 'unsigned', policy, flags: decision.flags } }
        : decision;
    }
    const legacy = decideLegacy(policy, outcome.legacy);
    if (!legacy.ok) return legacy;
    const signer = outcome.chain.signer;
    if (signer.organId !== input.sender) {
      return {
        ok: false,
        refusal: refusal(
          'CERT_ORG_MISMATCH',
          `the certificate belongs to ${signer.organId ?? 'no organ'} (${signer.subject}); the sender is ${input.sender}`,
        ),
      };
    }
    const revocation = await this.revocationOf(outcome.chain);
    if ('refusal' in revocation) return { ok: false, refusal: revocation.refusal };
    const flags = [
      ...legacy.flags,
      ...revocation.uses
        .filter((u) => u.stale)
        .map(
          (u) =>
            `revocation evidence for ${u.subject} is stale (${u.ageSeconds} s old; responder unavailable, within the grace period)`,
        ),
    ];
    return {
      ok: true,
      record: {
        status: 'verified',
        policy,
        flags,
        signer: {
          subject: signer.subject,
          organId: signer.organId,
          serialNumber: signer.serialNumber,
          fingerprint: signer.fingerprint,
          notAfter: signer.notAfter,
        },
        chain: [...outcome.chain.path.map((c) => c.subject), outcome.chain.anchor.subject],
        algorithms: outcome.algorithms,
        revocation: revocation.uses,
      },
    };
  }

  /** Every certificate of the path below the root, each against its issuer. */
  async revocationOf(
    chain: ValidatedChain,
  ): Promise<{ uses: Array<RevocationUse & { subject: string }> } | { refusal: Refusal }> {
    const issuers = [...chain.path.slice(1), chain.anchor];
    const verdicts = await Promise.all(chain.path.map((cert, i) => this.revocation.check(cert, issuers[i]!)));
    const uses: Array<RevocationUse & { subject: string }> = [];
    for (const [i, v] of verdicts.entries()) {
      const subject = chain.path[i]!.subject;
      if (v.status === 'revoked') {
        return {
          refusal: refusal(
            'CERT_REVOKED',
            `${subject} revoked${v.evidence.revokedAt ? ` on ${v.evidence.revokedAt}` : ''} (${v.evidence.method.toUpperCase()} ${v.evidence.url})`,
          ),
        };
      }
      if (v.status === 'unknown') return { refusal: refusal('REVOCATION_UNKNOWN', v.reason) };
      uses.push({ ...v.evidence, subject });
    }
    return { uses };
  }
}
