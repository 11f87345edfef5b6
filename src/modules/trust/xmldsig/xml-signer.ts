import { createHash, sign as cryptoSign, type KeyObject } from 'node:crypto';
import type { Libxml2 } from '../../xml/libxml2';
import {
  DIGEST_METHOD_URI,
  DSIG_NS,
  ENVELOPED_SIGNATURE,
  EXCLUSIVE_C14N,
  SIGNATURE_METHOD_URI,
} from './algorithms';
import { digestDocument } from './canonicalize';

export interface SigningIdentity {
  privateKey: KeyObject;
  /** The signer's certificate first, then any intermediates to carry in KeyInfo (DER). */
  certificates: Uint8Array[];
}

/**
 * Signs an edXML package (or any document with one element named edXMLHeader; a bus receipt signs
 * its root) with the profile the bus verifies: enveloped signature, Reference URI="", exclusive
 * C14N, SHA-256, RSA or ECDSA by key type, certificates in KeyInfo.
 *
 * The Signature is spliced into the original text, with no whitespace around it, so the rest of
 * the package keeps its exact bytes (line ends, prefixes) and the digest computed before the
 * splice is the digest of the document without its signature — the enveloped transform.
 */
export class XmlSigner {
  constructor(
    private readonly lx: typeof Libxml2,
    private readonly parseOptions: number,
  ) {}

  sign(xml: Uint8Array | string, identity: SigningIdentity, options: { into?: RegExp } = {}): string {
    const text = typeof xml === 'string' ? xml : Buffer.from(xml).toString('utf8');
    const doc = this.lx.XmlDocument.fromString(text, { option: this.parseOptions });
    let digest: Buffer;
    try {
      if (
        doc.find('//*[local-name()="Signature" and namespace-uri()="http://www.w3.org/2000/09/xmldsig#"]')
          .length > 0
      ) {
        throw new Error('the document is already signed');
      }
      digest = digestDocument(doc, 'sha256', { mode: 1, withComments: false });
    } finally {
      doc.dispose();
    }
    const ec = identity.privateKey.asymmetricKeyType === 'ec';
    const signedInfo =
      `<SignedInfo xmlns="${DSIG_NS}">` +
      `<CanonicalizationMethod Algorithm="${EXCLUSIVE_C14N}"/>` +
      `<SignatureMethod Algorithm="${ec ? SIGNATURE_METHOD_URI['ecdsa-sha256'] : SIGNATURE_METHOD_URI['rsa-sha256']}"/>` +
      `<Reference URI=""><Transforms><Transform Algorithm="${ENVELOPED_SIGNATURE}"/><Transform Algorithm="${EXCLUSIVE_C14N}"/></Transforms>` +
      `<DigestMethod Algorithm="${DIGEST_METHOD_URI.sha256}"/><DigestValue>${digest.toString('base64')}</DigestValue></Reference>` +
      `</SignedInfo>`;
    // Exclusive C14N of SignedInfo depends only on what SignedInfo itself uses, so its canonical
    // form in the finished document equals the canonical form of this fragment alone.
    const siDoc = this.lx.XmlDocument.fromString(signedInfo, { option: this.parseOptions });
    let canonicalSignedInfo: string;
    try {
      canonicalSignedInfo = siDoc.canonicalizeToString({ mode: 1 });
    } finally {
      siDoc.dispose();
    }
    const value = cryptoSign(
      'sha256',
      Buffer.from(canonicalSignedInfo, 'utf8'),
      ec ? { key: identity.privateKey, dsaEncoding: 'ieee-p1363' } : identity.privateKey,
    );
    const certificates = identity.certificates
      .map((c) => `<X509Certificate>${Buffer.from(c).toString('base64')}</X509Certificate>`)
      .join('');
    const signature =
      `<Signature xmlns="${DSIG_NS}">${signedInfo.replace(` xmlns="${DSIG_NS}"`, '')}` +
      `<SignatureValue>${value.toString('base64')}</SignatureValue>` +
      `<KeyInfo><X509Data>${certificates}</X509Data></KeyInfo></Signature>`;

    const at = insertionPoint(text, options.into ?? /<\/(?:[A-Za-z_][\w.-]*:)?edXMLHeader\s*>/);
    if (at < 0) throw new Error('no place for the signature (edXMLHeader not found)');
    return text.slice(0, at) + signature + text.slice(at);
  }
}

function insertionPoint(text: string, closingTag: RegExp): number {
  const m = closingTag.exec(text);
  return m ? m.index : -1;
}

/** SHA-256 hex of bytes (used for receipts and tests). */
export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}
