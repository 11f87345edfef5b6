import { Injectable } from '@nestjs/common';
import { Directory } from '../../registry/directory';
import { requiresCertificate, requiresSecret } from '../../registry/domain/endpoint';
import { VerifyClientCertificate } from './verify-client-certificate.use-case';

export interface PresentedCredentials {
  /** The organ the call names by its secret-based credentials (system id, user name, token). */
  claimedOrgan: string | null;
  /** Whether those credentials were checked and are right (HMAC, password, token). */
  secretVerified: boolean;
  /** The certificate chain shown in the TLS handshake, DER base64, the caller's own first. */
  clientCertificates: string[];
}

/** One answer for an unknown caller and wrong secret credentials: nothing to learn by probing. */
export const UNKNOWN_CALLER = 'unknown system or wrong credentials';

/**
 * The rule every bridge applies, whatever its secret is (HMAC, password, token): the endpoint's
 * mode says what a call must carry — its secret (`hmac`), its organ's certificate in the TLS
 * handshake (`mtls`), or both — and the certificate, when required, must be that organ's.
 */
@Injectable()
export class CheckBridgeCredentials {
  constructor(
    private readonly directory: Directory,
    private readonly certificates: VerifyClientCertificate,
  ) {}

  async execute(
    presented: PresentedCredentials,
  ): Promise<{ ok: true; organId: string } | { ok: false; reason: string }> {
    let organId = presented.claimedOrgan;
    // Whether the certificate is already judged to be organId's own (it named the caller).
    let certificateIsOwn = false;
    if (!organId) {
      // No secret names the caller: only a certificate can (an `mtls` endpoint's client).
      const shown = await this.certificates.execute(presented.clientCertificates);
      if (!shown.ok)
        return { ok: false, reason: presented.clientCertificates.length ? shown.reason : 'no credentials' };
      organId = shown.organId;
      certificateIsOwn = true;
    }
    const endpoint = await this.directory.endpoint(organId);
    if (endpoint?.transport !== 'bridge') return { ok: false, reason: UNKNOWN_CALLER };
    if (requiresSecret(endpoint.bridgeAuth) && !presented.secretVerified)
      return { ok: false, reason: UNKNOWN_CALLER };
    if (requiresCertificate(endpoint.bridgeAuth) && !certificateIsOwn) {
      const own = await this.certificates.of(organId, presented.clientCertificates);
      if (!own.ok) return { ok: false, reason: `${organId} requires its certificate: ${own.reason}` };
    }
    return { ok: true, organId };
  }
}
