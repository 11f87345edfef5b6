import { timingSafeEqual, verify as cryptoVerify, X509Certificate, type KeyObject } from 'node:crypto';
import { EDXML_NS } from '../../xml/namespaces';
import { DetachedTexts } from '../../xml/detached-texts';
import type { Libxml2, XmlDocument, XmlElement } from '../../xml/libxml2';
import { refusal, type Refusal } from '../../shared/reasons';
import type { ChainValidator, ValidatedChain } from '../pki/chain-validator';
import {
  CANONICALIZATION,
  DIGEST_METHODS,
  DSIG_NS,
  ENVELOPED_SIGNATURE,
  SIGNATURE_METHODS,
  type C14nMethod,
  type HashName,
} from './algorithms';
import { canonicalizeElement, digestDocument, type C14nOptions } from './canonicalize';

export interface SignatureAlgorithms {
  signature: string;
  digest: string;
  canonicalization: string;
  transforms: string[];
}

export type XmlSignatureOutcome =
  /** No XML-DSig signature (possibly a placeholder outside the XML-DSig namespace: `note`). */
  | { status: 'absent'; note?: string }
  | { status: 'verified'; algorithms: SignatureAlgorithms; legacy: string[]; chain: ValidatedChain }
  | { status: 'refused'; refusal: Refusal };

interface SignatureParts {
  signature: XmlElement;
  signedInfo: XmlElement;
  algorithms: SignatureAlgorithms;
  legacy: string[];
  signedInfoC14n: C14nOptions;
  referenceC14n: C14nOptions;
  digestHash: HashName;
  method: (typeof SIGNATURE_METHODS)[string];
  digestValue: Buffer;
  signatureValue: Buffer;
  certificates: string[];
}

const NS = { ds: DSIG_NS, ed: EDXML_NS };
const INCLUSIVE_DEFAULT: C14nOptions = { mode: 0, withComments: false };

/**
 * Checks the enveloped XML-DSig signature of an edXML package, the profile of QCVN 102: one
 * Signature in edXMLHeader, one SignedInfo, one Reference with URI="" (the whole document)
 * and the enveloped-signature transform. In this order:
 * 1. structure (anything else is signature wrapping: refused before any cryptography);
 * 2. algorithms against the allowlist;
 * 3. the certificate path from KeyInfo to a configured root — the key is taken from a validated
 *    certificate only, never from KeyInfo as such;
 * 4. the digest of the canonical document without the Signature, then the signature value over
 *    the canonical SignedInfo, with node:crypto.
 * Because the reference covers the whole document, every business field the bus reads is signed:
 * there is no unsigned place for a second From or DocumentId to hide.
 *
 * Note: on success the Signature element is removed from `doc` (that is the enveloped transform).
 */
export class XmlSignatureVerifier {
  constructor(
    private readonly lx: typeof Libxml2,
    private readonly chains: ChainValidator,
    private readonly parseOptions: number,
  ) {}

  /** `detached`: attachment texts the document was parsed without (they are part of the digest). */
  async verify(
    doc: XmlDocument,
    now: Date,
    detached: DetachedTexts = DetachedTexts.NONE,
  ): Promise<XmlSignatureOutcome> {
    const parts = this.structure(doc);
    if ('status' in parts) return parts;
    const chain = await this.chains.validate(parts.certificates, now);
    if ('code' in chain) return { status: 'refused', refusal: chain };

    const key = publicKeyOf(chain.signer.fingerprint, chain.signer.der);
    const keyType = key.asymmetricKeyType === 'ec' ? 'ec' : key.asymmetricKeyType === 'rsa' ? 'rsa' : 'other';
    if (keyType !== parts.method.key) {
      return refused(
        'SIG_INVALID',
        `the signing certificate has a ${key.asymmetricKeyType ?? 'unknown'} key but SignatureMethod is ${parts.algorithms.signature}`,
      );
    }

    const signedInfoBytes = canonicalizeElement(
      this.lx,
      parts.signedInfo,
      parts.signedInfoC14n,
      this.parseOptions,
    );
    parts.signature.remove();
    const digest = digestDocument(doc, parts.digestHash, parts.referenceC14n, detached);
    if (digest.length !== parts.digestValue.length || !timingSafeEqual(digest, parts.digestValue)) {
      return refused('SIG_INVALID', 'digest mismatch: the document is not the one that was signed');
    }
    const ok = cryptoVerify(
      parts.method.hash,
      signedInfoBytes,
      keyType === 'ec' ? { key, dsaEncoding: 'ieee-p1363' } : key,
      parts.signatureValue,
    );
    if (!ok)
      return refused(
        'SIG_INVALID',
        `the signature value does not verify with the key of ${chain.signer.subject}`,
      );
    return { status: 'verified', algorithms: parts.algorithms, legacy: parts.legacy, chain };
  }

  private structure(
    doc: XmlDocument,
  ): SignatureParts | Extract<XmlSignatureOutcome, { status: 'absent' | 'refused' }> {
    const signatures = doc.find('//ds:Signature', NS) as XmlElement[];
    if (signatures.length === 0) {
      const placeholders = doc.find('//ed:Signature | //ed:DigitalSignature', NS);
      return placeholders.length > 0
        ? {
            status: 'absent',
            note: 'a Signature element outside the XML-DSig namespace (the official SDK placeholder) cannot be verified',
          }
        : { status: 'absent' };
    }
    // An empty ds:Signature (some systems leave the element with nothing in it) signs nothing: the
    // package is unsigned, for the endpoint's policy to decide, not a wrapped signature.
    if (
      signatures.length === 1 &&
      this.elementChildren(signatures[0]!).length === 0 &&
      signatures[0]!.content.trim() === ''
    )
      return { status: 'absent', note: 'the ds:Signature element is empty' };
    if (signatures.length > 1)
      return refused(
        'SIG_WRAPPED',
        `${signatures.length} ds:Signature elements; the profile allows exactly one`,
      );
    const signature = signatures[0]!;
    const header = signature.parent;
    const envelope = header?.parent;
    if (
      !header ||
      header.name !== 'edXMLHeader' ||
      header.namespaceUri !== EDXML_NS ||
      envelope?.parent?.name !== 'edXML'
    ) {
      return refused('SIG_WRAPPED', 'ds:Signature is not a child of edXMLHeader');
    }

    const children = this.elementChildren(signature);
    const names = children.map((c) => (c.namespaceUri === DSIG_NS ? c.name : `{${c.namespaceUri}}${c.name}`));
    if ((doc.find('//ds:SignedInfo', NS) as unknown[]).length !== 1)
      return refused('SIG_WRAPPED', 'more than one ds:SignedInfo');
    if (
      names[0] !== 'SignedInfo' ||
      names[1] !== 'SignatureValue' ||
      names.slice(2).some((n) => n !== 'KeyInfo') ||
      names.length > 3
    ) {
      return refused(
        'SIG_WRAPPED',
        `unexpected Signature content: ${names.join(', ')} (expected SignedInfo, SignatureValue, KeyInfo)`,
      );
    }
    const [signedInfo, signatureValueEl, keyInfo] = children as [
      XmlElement,
      XmlElement,
      XmlElement | undefined,
    ];

    const si = this.elementChildren(signedInfo);
    const siNames = si.map((c) => c.name);
    const references = si.filter((c) => c.name === 'Reference');
    if (references.length !== 1)
      return refused(
        'SIG_WRAPPED',
        `${references.length} References; the profile signs the whole document with exactly one`,
      );
    if (siNames.join(',') !== 'CanonicalizationMethod,SignatureMethod,Reference') {
      return refused('SIG_WRAPPED', `unexpected SignedInfo content: ${siNames.join(', ')}`);
    }
    const reference = references[0]!;
    const uri = reference.attr('URI');
    if (!uri || uri.value !== '')
      return refused(
        'SIG_WRAPPED',
        `Reference URI is ${uri ? `"${uri.value}"` : 'absent'}; the profile requires URI="" (the whole document)`,
      );

    const legacy: string[] = [];
    const c14nUri = si[0]!.attr('Algorithm')?.value ?? '';
    const c14n = CANONICALIZATION[c14nUri];
    if (!c14n) return refused('ALG_FORBIDDEN', `CanonicalizationMethod ${c14nUri}`);
    if (c14n.legacy) legacy.push(`misspelt canonicalization URI ${c14nUri}`);
    const methodUri = si[1]!.attr('Algorithm')?.value ?? '';
    const method = SIGNATURE_METHODS[methodUri];
    if (!method) return refused('ALG_FORBIDDEN', `SignatureMethod ${methodUri}`);
    if (method.legacy) legacy.push(`signature method ${methodUri}`);

    const refChildren = this.elementChildren(reference);
    const refNames = refChildren.map((c) => c.name);
    if (refNames.join(',') !== 'Transforms,DigestMethod,DigestValue') {
      return refused('SIG_WRAPPED', `unexpected Reference content: ${refNames.join(', ')}`);
    }
    const [transformsEl, digestMethodEl, digestValueEl] = refChildren as [XmlElement, XmlElement, XmlElement];
    const transforms = this.elementChildren(transformsEl).map((t) => ({
      el: t,
      uri: t.attr('Algorithm')?.value ?? '',
    }));
    if (transforms[0]?.uri !== ENVELOPED_SIGNATURE)
      return refused('SIG_INVALID', 'the first transform must be enveloped-signature');
    if (transforms.length > 2)
      return refused('ALG_FORBIDDEN', `transforms ${transforms.map((t) => t.uri).join(', ')}`);
    let referenceC14n: C14nOptions = INCLUSIVE_DEFAULT;
    if (transforms[1]) {
      const t = CANONICALIZATION[transforms[1].uri];
      if (!t) return refused('ALG_FORBIDDEN', `Transform ${transforms[1].uri}`);
      if (t.legacy && !legacy.some((l) => l.includes(transforms[1]!.uri)))
        legacy.push(`misspelt canonicalization URI ${transforms[1].uri}`);
      referenceC14n = this.c14nOptions(t, transforms[1].el);
    }
    const digestUri = digestMethodEl.attr('Algorithm')?.value ?? '';
    const digestMethod = DIGEST_METHODS[digestUri];
    if (!digestMethod) return refused('ALG_FORBIDDEN', `DigestMethod ${digestUri}`);
    if (digestMethod.legacy) legacy.push(`digest method ${digestUri}`);

    // A comment or element inside DigestValue/SignatureValue is how parser differentials are
    // smuggled in (CVE-2025-29775): only plain text is accepted.
    for (const el of [digestValueEl, signatureValueEl]) {
      for (let n = el.firstChild; n; n = n.next) {
        if (!(n instanceof this.lx.XmlText))
          return refused('SIG_INVALID', `${el.name} must contain only base64 text`);
      }
    }
    const digestValue = base64(digestValueEl.content);
    const signatureValue = base64(signatureValueEl.content);
    if (!digestValue || !signatureValue)
      return refused('SIG_INVALID', 'DigestValue or SignatureValue is not base64');

    const certificates = keyInfo
      ? (keyInfo.find('ds:X509Data/ds:X509Certificate', NS) as XmlElement[]).map((c) =>
          c.content.replace(/\s+/g, ''),
        )
      : [];
    if (certificates.length === 0) {
      return refused(
        'CERT_UNTRUSTED',
        'KeyInfo carries no X509Certificate: the bus takes the key only from a certificate it can validate',
      );
    }

    return {
      signature,
      signedInfo,
      algorithms: {
        signature: methodUri,
        digest: digestUri,
        canonicalization: c14nUri,
        transforms: transforms.map((t) => t.uri),
      },
      legacy,
      signedInfoC14n: this.c14nOptions(c14n, si[0]!),
      referenceC14n,
      digestHash: digestMethod.hash,
      method,
      digestValue,
      signatureValue,
      certificates,
    };
  }

  private c14nOptions(method: C14nMethod, el: XmlElement): C14nOptions {
    if (method.mode !== 1) return { mode: method.mode, withComments: method.withComments };
    const inclusive = this.elementChildren(el).find((c) => c.name === 'InclusiveNamespaces');
    const list = inclusive?.attr('PrefixList')?.value.trim();
    return {
      mode: 1,
      withComments: method.withComments,
      inclusivePrefixes: list ? list.split(/\s+/).map((p) => (p === '#default' ? '' : p)) : undefined,
    };
  }

  private elementChildren(el: XmlElement): XmlElement[] {
    const out: XmlElement[] = [];
    for (let n = el.firstChild; n; n = n.next) if (n instanceof this.lx.XmlElement) out.push(n);
    return out;
  }
}

function refused(code: Refusal['code'], detail: string): { status: 'refused'; refusal: Refusal } {
  return { status: 'refused', refusal: refusal(code, detail) };
}

function base64(text: string): Buffer | null {
  const clean = text.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 !== 0 || clean.length === 0) return null;
  return Buffer.from(clean, 'base64');
}

const keys = new Map<string, KeyObject>();

/** Public keys of validated certificates, parsed once per certificate. */
function publicKeyOf(fingerprint: string, der: string): KeyObject {
  let key = keys.get(fingerprint);
  if (!key) {
    key = new X509Certificate(Buffer.from(der, 'base64')).publicKey;
    if (keys.size > 10_000) keys.clear();
    keys.set(fingerprint, key);
  }
  return key;
}
