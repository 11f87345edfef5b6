import type { RevocationUse } from './revocation/revocation';
import type { SignaturePolicy } from './policy/signature-policy';
import type { SignatureAlgorithms } from './xmldsig/xml-signature-verifier';

/** What the bus recorded about a package's signature: stored with the package, told in the receipt. */
export interface SignatureRecord {
  status: 'verified' | 'unsigned';
  policy: SignaturePolicy;
  flags: string[];
  signer?: {
    subject: string;
    organId: string | null;
    serialNumber: string;
    fingerprint: string;
    notAfter: string;
  };
  chain?: string[];
  algorithms?: SignatureAlgorithms;
  revocation?: Array<RevocationUse & { subject: string }>;
  /** Signatures inside attached PDFs: who signed and whether it holds (legal signatures live there). */
  pdf?: PdfSignatureReport[];
}

export interface PdfSignatureReport {
  attachment: string;
  entry?: string;
  signer?: string;
  organId?: string | null;
  signingTime?: string;
  status: 'valid' | 'invalid' | 'untrusted' | 'revoked' | 'revocation-unknown';
  reason?: string;
}
