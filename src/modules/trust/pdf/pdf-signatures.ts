import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import type { Refusal } from '../../shared/reasons';
import { certificateFacts } from '../pki/certificate-facts';
import type { ChainValidator, ValidatedChain } from '../pki/chain-validator';
import { readZip } from './zip';

/** One signature found in a PDF attachment, as the worker checked it. */
export interface PdfSignatureFinding {
  attachment: string;
  /** The file inside a ZIP attachment, when the PDF was zipped. */
  entry?: string;
  signer?: { subject: string; organId: string | null };
  signingTime?: string;
  /** `verified`: the CMS signature covers the signed byte ranges and the path is valid; revocation is checked on the main thread. */
  status: 'verified' | 'invalid' | 'untrusted';
  reason?: string;
  chain?: ValidatedChain;
}

const BYTE_RANGE = /^\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/;
const BYTE_RANGE_KEY = Buffer.from('/ByteRange');
/** Enough for `/ByteRange [` and four numbers, with the space padding signers reserve. */
const BYTE_RANGE_WINDOW = 1024;
const MAX_SIGNATURES_PER_PDF = 16;

/**
 * Finds the CMS signatures of signed PDFs (PAdES: a /ByteRange and a /Contents hex string that is
 * the gap between the ranges) in an attachment — raw, or zipped as the SDK does — and checks each:
 * the CMS signature over the signed ranges (messageDigest included), then the signer's path to the
 * same roots the XML signature uses. Legal signatures live in the PDFs; the bus reports on them.
 */
export class PdfSignatureChecker {
  constructor(private readonly chains: ChainValidator) {}

  async check(
    attachment: string,
    content: Buffer,
    now: Date,
    maxUnzippedBytes: number,
  ): Promise<PdfSignatureFinding[]> {
    const files: Array<{ entry?: string; data: Buffer }> = [];
    const zipped = readZip(content, maxUnzippedBytes);
    if (zipped) {
      for (const e of zipped) if (isPdf(e.data)) files.push({ entry: e.name, data: e.data });
    } else if (isPdf(content)) files.push({ data: content });
    const findings: PdfSignatureFinding[] = [];
    for (const file of files) {
      for (const range of signedRanges(file.data).slice(0, MAX_SIGNATURES_PER_PDF)) {
        findings.push({ attachment, entry: file.entry, ...(await this.checkOne(file.data, range, now)) });
      }
    }
    return findings;
  }

  private async checkOne(
    pdf: Buffer,
    [a, b, c, d]: [number, number, number, number],
    now: Date,
  ): Promise<Omit<PdfSignatureFinding, 'attachment' | 'entry'>> {
    if (a !== 0 || a + b > c || c + d !== pdf.length)
      return { status: 'invalid', reason: 'the signature does not cover the whole file (ByteRange)' };
    const hex = pdf
      .subarray(a + b, c)
      .toString('latin1')
      .replace(/^</, '')
      .replace(/>$/, '')
      .replace(/(00)+$/, '');
    if (!/^[0-9A-Fa-f]*$/.test(hex) || hex.length === 0)
      return { status: 'invalid', reason: 'no CMS signature in /Contents' };
    const signed = Buffer.concat([pdf.subarray(a, a + b), pdf.subarray(c, c + d)]);
    let signedData: pkijs.SignedData;
    try {
      const der = Buffer.from(hex.length % 2 ? `${hex}0` : hex, 'hex');
      const info = new pkijs.ContentInfo({ schema: asn1js.fromBER(new Uint8Array(der).buffer).result });
      signedData = new pkijs.SignedData({ schema: info.content });
    } catch {
      return { status: 'invalid', reason: 'unreadable CMS signature' };
    }
    const certificates = (signedData.certificates ?? []).filter(
      (c): c is pkijs.Certificate => c instanceof pkijs.Certificate,
    );
    let verified: { signatureVerified?: boolean | null; signerCertificate?: pkijs.Certificate | null };
    try {
      verified = await signedData.verify({
        signer: 0,
        data: arrayBufferOf(signed),
        checkChain: false,
        extendedMode: true,
      });
    } catch (error) {
      const e = error as {
        signatureVerified?: boolean | null;
        signerCertificate?: pkijs.Certificate | null;
        message?: string;
      };
      if (e.signerCertificate === undefined)
        return { status: 'invalid', reason: e.message ?? 'CMS verification failed' };
      verified = e;
    }
    const signerCert = verified.signerCertificate;
    const signer = signerCert
      ? certificateFacts(new Uint8Array(signerCert.toSchema().toBER(false)))
      : undefined;
    const who = signer ? { subject: signer.subject, organId: signer.organId } : undefined;
    const signingTime = signingTimeOf(signedData);
    if (!verified.signatureVerified || !signer) {
      return {
        signer: who,
        signingTime,
        status: 'invalid',
        reason: 'the CMS signature does not match the signed content',
      };
    }
    const offered = [
      signer.der,
      ...certificates
        .map((c) => certificateFacts(new Uint8Array(c.toSchema().toBER(false))).der)
        .filter((d) => d !== signer.der),
    ];
    const chain = await this.chains.validate(offered, now);
    if ('code' in chain) return { signer: who, signingTime, status: 'untrusted', reason: describe(chain) };
    return { signer: who, signingTime, status: 'verified', chain };
  }
}

function isPdf(data: Buffer): boolean {
  return data.subarray(0, 1024).includes('%PDF-');
}

/**
 * Every `/ByteRange [a b c d]` of the file. Searched in the bytes, each match read from a small
 * window: a PDF of tens of MB is never turned into a string.
 */
function signedRanges(pdf: Buffer): Array<[number, number, number, number]> {
  const ranges: Array<[number, number, number, number]> = [];
  for (let at = pdf.indexOf(BYTE_RANGE_KEY); at !== -1; at = pdf.indexOf(BYTE_RANGE_KEY, at + 1)) {
    const m = BYTE_RANGE.exec(pdf.toString('latin1', at, at + BYTE_RANGE_WINDOW));
    if (m) ranges.push([Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])]);
  }
  return ranges;
}

/** The bytes as an ArrayBuffer, without a copy when the Buffer owns its memory exactly. */
function arrayBufferOf(bytes: Buffer): ArrayBuffer {
  return bytes.byteOffset === 0 &&
    bytes.buffer.byteLength === bytes.length &&
    bytes.buffer instanceof ArrayBuffer
    ? bytes.buffer
    : new Uint8Array(bytes).buffer;
}

function signingTimeOf(signedData: pkijs.SignedData): string | undefined {
  const attr = signedData.signerInfos[0]?.signedAttrs?.attributes.find(
    (a) => a.type === '1.2.840.113549.1.9.5',
  );
  const value = attr?.values[0] as { toDate?: () => Date } | undefined;
  return value?.toDate?.().toISOString();
}

function describe(r: Refusal): string {
  return `${r.code}: ${r.details.join('; ')}`;
}
