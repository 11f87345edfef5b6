import { DOMParser } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';

/**
 * The JavaScript reference: xml-crypto 6 verifying with a given certificate (never the one in
 * KeyInfo), the way its README says to use it safely.
 */
export function xmlCryptoVerify(xml: string, certPem: string): boolean {
  try {
    const doc = new DOMParser().parseFromString(xml, 'text/xml');
    const signatures = doc.getElementsByTagNameNS('http://www.w3.org/2000/09/xmldsig#', 'Signature');
    if (signatures.length !== 1) return false;
    const signed = new SignedXml({ publicCert: certPem, getCertFromKeyInfo: () => null });
    signed.loadSignature(signatures[0]!);
    return signed.checkSignature(xml);
  } catch {
    return false;
  }
}
