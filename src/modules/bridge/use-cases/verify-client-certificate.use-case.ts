import { Injectable } from '@nestjs/common';
import { Clock } from '../../shared/clock';
import { AssessSignature } from '../../trust/assess-signature.use-case';
import { ChainValidator } from '../../trust/pki/chain-validator';

export type ClientCertificateVerdict = { ok: true; organId: string } | { ok: false; reason: string };

/**
 * The certificate a bridge caller showed in the TLS handshake, judged as the bus judges a
 * signature's: a path to the trust anchors, in its validity period, allowed to sign, not revoked
 * (the same revocation evidence and grace period), and bound to an organ — so one identity, the
 * organ's certificate, holds from the handshake to the document's signature. The handshake
 * itself proved that the caller holds the certificate's key.
 */
@Injectable()
export class VerifyClientCertificate {
  constructor(
    private readonly chains: ChainValidator,
    private readonly signatures: AssessSignature,
    private readonly clock: Clock,
  ) {}

  /** `chain`: DER base64, the caller's certificate first; empty when it showed none. */
  async execute(chain: string[]): Promise<ClientCertificateVerdict> {
    if (chain.length === 0) return { ok: false, reason: 'no client certificate' };
    const validated = await this.chains.validate(chain, this.clock.now());
    if ('code' in validated)
      return {
        ok: false,
        reason: `untrusted client certificate (${validated.code}: ${validated.details.join('; ')})`,
      };
    const organId = validated.signer.organId;
    if (!organId)
      return { ok: false, reason: `the client certificate ${validated.signer.subject} names no organ` };
    const revocation = await this.signatures.revocationOf(validated);
    if ('refusal' in revocation)
      return {
        ok: false,
        reason: `client certificate ${revocation.refusal.code === 'CERT_REVOKED' ? 'revoked' : 'of unknown revocation status'} (${revocation.refusal.details.join('; ')})`,
      };
    return { ok: true, organId };
  }

  /** The caller's certificate must be `organId`'s own. */
  async of(organId: string, chain: string[]): Promise<ClientCertificateVerdict> {
    const verdict = await this.execute(chain);
    if (verdict.ok && verdict.organId !== organId)
      return { ok: false, reason: `the client certificate belongs to ${verdict.organId}, not ${organId}` };
    return verdict;
  }
}
