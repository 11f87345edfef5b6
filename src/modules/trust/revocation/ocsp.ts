import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import '../pki/chain-validator'; // sets the pkijs crypto engine

const OCSP_BASIC = '1.3.6.1.5.5.7.48.1.1';

export function toPkijsCertificate(der: Uint8Array | string): pkijs.Certificate {
  const bytes = typeof der === 'string' ? Buffer.from(der, 'base64') : Buffer.from(der);
  return new pkijs.Certificate({ schema: asn1js.fromBER(new Uint8Array(bytes).buffer).result });
}

/** An OCSP request (RFC 6960) for one certificate, SHA-256 CertID. */
export async function ocspRequest(certDer: string, issuerDer: string): Promise<Uint8Array> {
  const request = new pkijs.OCSPRequest();
  await request.createForCertificate(toPkijsCertificate(certDer), {
    hashAlgorithm: 'SHA-256',
    issuerCertificate: toPkijsCertificate(issuerDer),
  });
  return new Uint8Array(request.toSchema(true).toBER(false));
}

export interface OcspAnswer {
  status: 'good' | 'revoked' | 'unknown';
  revokedAt?: Date;
  thisUpdate: Date;
  nextUpdate: Date;
}

/**
 * Reads an OCSP response and checks what pkijs alone does not: that it is signed by the issuer
 * (or a responder the issuer delegated), that it answers for this certificate, and that it is
 * fresh. `maxAgeSeconds` bounds answers that carry no nextUpdate.
 */
export async function readOcspResponse(
  body: Uint8Array,
  certDer: string,
  issuerDer: string,
  now: Date,
  maxAgeSeconds = 3600,
): Promise<OcspAnswer | string> {
  let response: pkijs.OCSPResponse;
  try {
    response = new pkijs.OCSPResponse({ schema: asn1js.fromBER(new Uint8Array(body).buffer).result });
  } catch {
    return 'unreadable OCSP response';
  }
  const code = response.responseStatus.valueBlock.valueDec;
  if (code !== 0) return `OCSP responder status ${code}`;
  if (!response.responseBytes || response.responseBytes.responseType !== OCSP_BASIC)
    return 'no basic OCSP response';
  const basic = new pkijs.BasicOCSPResponse({
    schema: asn1js.fromBER(response.responseBytes.response.valueBlock.valueHexView.slice().buffer).result,
  });
  const issuer = toPkijsCertificate(issuerDer);
  const cert = toPkijsCertificate(certDer);
  let signed: boolean;
  try {
    // The issuer was validated as part of the path already: it is a trusted responder for its own certificates.
    signed = await basic.verify({ trustedCerts: [issuer], trustedResponders: [issuer] });
  } catch {
    signed = false;
  }
  if (!signed) return 'OCSP response signature does not verify against the issuer';
  const status = await basic.getCertificateStatus(cert, issuer);
  if (!status.isForCertificate) return 'OCSP response is not about this certificate';
  const single = basic.tbsResponseData.responses.find((r) =>
    r.certID.serialNumber.isEqual(cert.serialNumber),
  );
  if (!single) return 'OCSP response is not about this certificate';
  const thisUpdate = single.thisUpdate;
  const nextUpdate = single.nextUpdate ?? new Date(thisUpdate.getTime() + maxAgeSeconds * 1000);
  if (thisUpdate.getTime() > now.getTime() + 5 * 60_000) return 'OCSP response dated in the future';
  if (nextUpdate.getTime() <= now.getTime()) return 'OCSP response is stale (nextUpdate passed)';
  const revokedInfo = single.certStatus as {
    idBlock?: { tagNumber?: number };
    valueBlock?: { value?: Array<{ toDate?: () => Date }> };
  };
  return {
    status: status.status === 0 ? 'good' : status.status === 1 ? 'revoked' : 'unknown',
    revokedAt: status.status === 1 ? revokedInfo.valueBlock?.value?.[0]?.toDate?.() : undefined,
    thisUpdate,
    nextUpdate,
  };
}
