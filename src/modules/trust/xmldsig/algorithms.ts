/**
 * The XML-DSig algorithms the bus knows, and which of them each signature policy allows.
 * Anything not listed (HMAC, MD5, XPath or XSLT transforms…) is refused as ALG_FORBIDDEN.
 */
export type HashName = 'sha1' | 'sha256' | 'sha384' | 'sha512';

export const DSIG_NS = 'http://www.w3.org/2000/09/xmldsig#';
export const ENVELOPED_SIGNATURE = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';

export interface C14nMethod {
  /** libxml2's XmlC14NMode: 0 = C14N 1.0, 1 = exclusive C14N, 2 = C14N 1.1. */
  mode: 0 | 1 | 2;
  withComments: boolean;
  /** A spelling only the official SDK samples use; accepted under the legacy policy. */
  legacy: boolean;
}

export const CANONICALIZATION: Record<string, C14nMethod> = {
  'http://www.w3.org/TR/2001/REC-xml-c14n-20010315': { mode: 0, withComments: false, legacy: false },
  'http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments': {
    mode: 0,
    withComments: true,
    legacy: false,
  },
  'http://www.w3.org/2006/12/xml-c14n11': { mode: 2, withComments: false, legacy: false },
  'http://www.w3.org/2001/10/xml-exc-c14n#': { mode: 1, withComments: false, legacy: false },
  'http://www.w3.org/2001/10/xml-exc-c14n#WithComments': { mode: 1, withComments: true, legacy: false },
  'http://www.w3.org/TR/xml-exc-c14n#': { mode: 1, withComments: false, legacy: true },
};

export const EXCLUSIVE_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';

export interface SignatureMethod {
  hash: HashName;
  key: 'rsa' | 'ec';
  legacy: boolean;
}

export const SIGNATURE_METHODS: Record<string, SignatureMethod> = {
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256': { hash: 'sha256', key: 'rsa', legacy: false },
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha384': { hash: 'sha384', key: 'rsa', legacy: false },
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512': { hash: 'sha512', key: 'rsa', legacy: false },
  'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256': { hash: 'sha256', key: 'ec', legacy: false },
  'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384': { hash: 'sha384', key: 'ec', legacy: false },
  'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512': { hash: 'sha512', key: 'ec', legacy: false },
  'http://www.w3.org/2000/09/xmldsig#rsa-sha1': { hash: 'sha1', key: 'rsa', legacy: true },
};

export const DIGEST_METHODS: Record<string, { hash: HashName; legacy: boolean }> = {
  'http://www.w3.org/2001/04/xmlenc#sha256': { hash: 'sha256', legacy: false },
  'http://www.w3.org/2001/04/xmldsig-more#sha384': { hash: 'sha384', legacy: false },
  'http://www.w3.org/2001/04/xmlenc#sha512': { hash: 'sha512', legacy: false },
  'http://www.w3.org/2000/09/xmldsig#sha1': { hash: 'sha1', legacy: true },
};

export const SIGNATURE_METHOD_URI = {
  'rsa-sha256': 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  'ecdsa-sha256': 'http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256',
} as const;

export const DIGEST_METHOD_URI = { sha256: 'http://www.w3.org/2001/04/xmlenc#sha256' } as const;
