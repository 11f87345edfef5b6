import 'reflect-metadata';
import {
  AuthorityInfoAccessExtension,
  BasicConstraintsExtension,
  CRLDistributionPointsExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  X509Certificate,
} from '@peculiar/x509';
import { createHash } from 'node:crypto';

/** The subject attribute that carries an organ's code: UID=MDD:<organ code> ("mã định danh"). */
export const ORGAN_ATTRIBUTE_OID = '0.9.2342.19200300.100.1.1';
export const ORGAN_PREFIX = 'MDD:';

/** What the bus needs to know about a certificate, extracted once and cached by fingerprint. */
export interface CertificateFacts {
  /** SHA-256 of the DER, hex. */
  fingerprint: string;
  der: string;
  subject: string;
  issuer: string;
  serialNumber: string;
  notBefore: string;
  notAfter: string;
  /** The organ the certificate belongs to (from UID=MDD:…), if any. */
  organId: string | null;
  isCa: boolean;
  canSign: boolean;
  ocspUrls: string[];
  crlUrls: string[];
  caIssuerUrls: string[];
}

const cache = new Map<string, CertificateFacts>();

export function certificateFacts(der: Uint8Array | string): CertificateFacts {
  const bytes = typeof der === 'string' ? Buffer.from(der, 'base64') : Buffer.from(der);
  const fingerprint = createHash('sha256').update(bytes).digest('hex');
  const hit = cache.get(fingerprint);
  if (hit) return hit;
  const cert = new X509Certificate(bytes);
  const ku = cert.getExtension(KeyUsagesExtension);
  const bc = cert.getExtension(BasicConstraintsExtension);
  const aia = cert.getExtension(AuthorityInfoAccessExtension);
  const cdp = cert.getExtension(CRLDistributionPointsExtension);
  const uid = cert.subjectName.getField(ORGAN_ATTRIBUTE_OID).find((v) => v.startsWith(ORGAN_PREFIX));
  const facts: CertificateFacts = {
    fingerprint,
    der: bytes.toString('base64'),
    subject: cert.subject,
    issuer: cert.issuer,
    serialNumber: cert.serialNumber.toLowerCase(),
    notBefore: cert.notBefore.toISOString(),
    notAfter: cert.notAfter.toISOString(),
    organId: uid ? uid.slice(ORGAN_PREFIX.length) : null,
    isCa: bc?.ca ?? false,
    canSign: ku ? (ku.usages & (KeyUsageFlags.digitalSignature | KeyUsageFlags.nonRepudiation)) !== 0 : true,
    ocspUrls: (aia?.ocsp ?? []).filter((g) => g.type === 'url').map((g) => g.value),
    caIssuerUrls: (aia?.caIssuers ?? []).filter((g) => g.type === 'url').map((g) => g.value),
    crlUrls: (cdp?.distributionPoints ?? []).flatMap((dp) =>
      (dp.distributionPoint?.fullName ?? []).flatMap((n) =>
        n.uniformResourceIdentifier ? [n.uniformResourceIdentifier] : [],
      ),
    ),
  };
  if (cache.size > 10_000) cache.clear();
  cache.set(fingerprint, facts);
  return facts;
}

export function derFromPem(pem: string): Buffer[] {
  return [...pem.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)].map((m) =>
    Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64'),
  );
}

export function pemFromDer(der: Uint8Array): string {
  const b64 = Buffer.from(der)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n');
  return `-----BEGIN CERTIFICATE-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END CERTIFICATE-----\n`;
}
