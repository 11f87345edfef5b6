import 'reflect-metadata';
import { X509Certificate, X509Crl } from '@peculiar/x509';

export interface CrlAnswer {
  status: 'good' | 'revoked';
  revokedAt?: Date;
  thisUpdate: Date;
  nextUpdate: Date;
}

/**
 * Reads a CRL and answers for one certificate, after checking that the CRL is signed by the
 * certificate's issuer, names that issuer, and is current. (pkijs silently drops expired CRLs and
 * then treats "no CRL" as "not revoked"; here an expired CRL is an explicit failure.)
 */
export async function readCrl(
  body: Uint8Array,
  certDer: string,
  issuerDer: string,
  now: Date,
): Promise<CrlAnswer | string> {
  let crl: X509Crl;
  try {
    crl = new X509Crl(Buffer.from(body));
  } catch {
    return 'unreadable CRL';
  }
  const issuer = new X509Certificate(Buffer.from(issuerDer, 'base64'));
  const cert = new X509Certificate(Buffer.from(certDer, 'base64'));
  if (crl.issuer !== issuer.subject) return 'CRL issued by another CA';
  if (!(await crl.verify({ publicKey: issuer }))) return 'CRL signature does not verify against the issuer';
  const nextUpdate = crl.nextUpdate;
  if (!nextUpdate) return 'CRL has no nextUpdate';
  if (nextUpdate.getTime() <= now.getTime()) return 'CRL is stale (nextUpdate passed)';
  const entry = crl.findRevoked(cert);
  return entry
    ? { status: 'revoked', revokedAt: entry.revocationDate, thisUpdate: crl.thisUpdate, nextUpdate }
    : { status: 'good', thisUpdate: crl.thisUpdate, nextUpdate };
}
