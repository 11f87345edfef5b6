import { createHash, sign as cryptoSign } from 'node:crypto';
import {
  DIGEST_METHOD_URI,
  DSIG_NS,
  ENVELOPED_SIGNATURE,
  EXCLUSIVE_C14N,
  SIGNATURE_METHOD_URI,
} from './algorithms';
import type { SigningIdentity } from './xml-signer';

/**
 * Signs XML the bus writes itself, without a parser: the bus's receipts are written directly in
 * canonical form (exclusive C14N: attributes sorted, empty elements as start/end pairs, C14N
 * escaping, one namespace declared on the root, no prefixes), so the digest is the digest of the
 * text itself and signing costs one SHA-256 and one ECDSA signature on the event loop.
 * xmlsec1 and the bus's own verifier check these signatures in the tests.
 */
export class CanonicalSigner {
  private readonly keyInfo: string;
  private readonly ec: boolean;

  constructor(private readonly identity: SigningIdentity) {
    this.ec = identity.privateKey.asymmetricKeyType === 'ec';
    this.keyInfo = `<KeyInfo><X509Data>${identity.certificates
      .map((c) => `<X509Certificate>${Buffer.from(c).toString('base64')}</X509Certificate>`)
      .join('')}</X509Data></KeyInfo>`;
  }

  /** `canonicalRoot` is the root element, already canonical; returns it with the Signature as last child. */
  sign(canonicalRoot: string): string {
    const digest = createHash('sha256').update(canonicalRoot, 'utf8').digest('base64');
    const method = this.ec ? SIGNATURE_METHOD_URI['ecdsa-sha256'] : SIGNATURE_METHOD_URI['rsa-sha256'];
    const body =
      `<CanonicalizationMethod Algorithm="${EXCLUSIVE_C14N}"></CanonicalizationMethod>` +
      `<SignatureMethod Algorithm="${method}"></SignatureMethod>` +
      `<Reference URI=""><Transforms><Transform Algorithm="${ENVELOPED_SIGNATURE}"></Transform>` +
      `<Transform Algorithm="${EXCLUSIVE_C14N}"></Transform></Transforms>` +
      `<DigestMethod Algorithm="${DIGEST_METHOD_URI.sha256}"></DigestMethod><DigestValue>${digest}</DigestValue></Reference>`;
    const canonicalSignedInfo = `<SignedInfo xmlns="${DSIG_NS}">${body}</SignedInfo>`;
    const value = cryptoSign(
      'sha256',
      Buffer.from(canonicalSignedInfo, 'utf8'),
      this.ec ? { key: this.identity.privateKey, dsaEncoding: 'ieee-p1363' } : this.identity.privateKey,
    ).toString('base64');
    const signature = `<Signature xmlns="${DSIG_NS}"><SignedInfo>${body}</SignedInfo><SignatureValue>${value}</SignatureValue>${this.keyInfo}</Signature>`;
    const end = canonicalRoot.lastIndexOf('</');
    return canonicalRoot.slice(0, end) + signature + canonicalRoot.slice(end);
  }
}

/** C14N text escaping. */
export function c14nText(value: string): string {
  return value.replace(/[&<>\r]/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&#xD;',
  );
}

/** C14N attribute value escaping. */
export function c14nAttribute(value: string): string {
  return value.replace(/[&<"\t\n\r]/g, (c) =>
    c === '&'
      ? '&amp;'
      : c === '<'
        ? '&lt;'
        : c === '"'
          ? '&quot;'
          : c === '\t'
            ? '&#x9;'
            : c === '\n'
              ? '&#xA;'
              : '&#xD;',
  );
}
