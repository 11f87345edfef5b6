import * as asn1js from 'asn1js';
import { createHash } from 'node:crypto';
import * as pkijs from 'pkijs';
import '../../src/modules/trust/pki/chain-validator'; // pkijs crypto engine
import { toPkijsCertificate } from '../../src/modules/trust/revocation/ocsp';
import type { Issued } from './test-pki';

const CONTENTS_HEX_LENGTH = 16_384;

/**
 * Makes a small signed PDF the way PAdES signers do (a /Sig dictionary whose /ByteRange covers
 * the whole file except the /Contents hex string holding a detached CMS signature with
 * contentType, messageDigest and signingTime): fixtures for the bus's PDF signature check and
 * realistic attachments for the demo.
 */
export async function signedPdf(signer: Issued, text = 'Văn bản ký số'): Promise<Buffer> {
  const placeholder = '0'.repeat(CONTENTS_HEX_LENGTH);
  const head =
    '%PDF-1.7\n' +
    '1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n' +
    '2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n' +
    `4 0 obj << /Title (${Buffer.from(text, 'utf8')
      .toString('latin1')
      .replace(/[()\\]/g, '')}) >> endobj\n` +
    '3 0 obj << /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /ByteRange [0 ##########  ##########  ##########] /Contents <';
  const tail = '> >> endobj\ntrailer << /Root 1 0 R /Info 4 0 R >>\n%%EOF\n';
  const total =
    Buffer.byteLength(head, 'latin1') + CONTENTS_HEX_LENGTH + 1 + Buffer.byteLength(tail, 'latin1'); // head ends with '<'
  const gapStart = Buffer.byteLength(head, 'latin1') - 1; // at '<'
  const gapEnd = gapStart + CONTENTS_HEX_LENGTH + 2; // after '>'
  const ranges = [gapStart, gapEnd, total - gapEnd].map((n) => String(n).padEnd(10, ' '));
  const framed = head.replace(
    '##########  ##########  ##########',
    `${ranges[0]}  ${ranges[1]}  ${ranges[2]}`,
  );
  if (Buffer.byteLength(framed, 'latin1') !== Buffer.byteLength(head, 'latin1'))
    throw new Error('ByteRange placeholder overflow');
  const withGap = Buffer.concat([
    Buffer.from(framed, 'latin1'),
    Buffer.from(placeholder + '>', 'latin1'),
    Buffer.from(tail, 'latin1'),
  ]);
  const signedPart = Buffer.concat([withGap.subarray(0, gapStart), withGap.subarray(gapEnd)]);
  const cms = await detachedCms(signer, signedPart);
  const hex = cms.toString('hex').padEnd(CONTENTS_HEX_LENGTH, '0');
  if (hex.length > CONTENTS_HEX_LENGTH) throw new Error('CMS signature larger than its placeholder');
  return Buffer.concat([
    withGap.subarray(0, gapStart + 1),
    Buffer.from(hex, 'latin1'),
    withGap.subarray(gapEnd - 1),
  ]);
}

async function detachedCms(signer: Issued, data: Buffer): Promise<Buffer> {
  const cert = toPkijsCertificate(Buffer.from(signer.certificate.rawData));
  const signerInfo = new pkijs.SignerInfo({
    version: 1,
    sid: new pkijs.IssuerAndSerialNumber({ issuer: cert.issuer, serialNumber: cert.serialNumber }),
  });
  signerInfo.signedAttrs = new pkijs.SignedAndUnsignedAttributes({
    type: 0,
    attributes: [
      new pkijs.Attribute({
        type: '1.2.840.113549.1.9.3',
        values: [new asn1js.ObjectIdentifier({ value: '1.2.840.113549.1.7.1' })],
      }),
      new pkijs.Attribute({
        type: '1.2.840.113549.1.9.4',
        values: [new asn1js.OctetString({ valueHex: createHash('sha256').update(data).digest() })],
      }),
      new pkijs.Attribute({
        type: '1.2.840.113549.1.9.5',
        values: [new asn1js.UTCTime({ valueDate: new Date() })],
      }),
    ],
  });
  const signedData = new pkijs.SignedData({
    version: 1,
    encapContentInfo: new pkijs.EncapsulatedContentInfo({ eContentType: '1.2.840.113549.1.7.1' }),
    signerInfos: [signerInfo],
    certificates: [cert],
  });
  await signedData.sign(signer.keys.privateKey, 0, 'SHA-256');
  const info = new pkijs.ContentInfo({
    contentType: '1.2.840.113549.1.7.2',
    content: signedData.toSchema(true),
  });
  return Buffer.from(info.toSchema().toBER(false));
}
