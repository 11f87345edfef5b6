import type { Request } from 'express';
import { createHash } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import { DetachedTexts, type DetachedText } from '../../../modules/xml/detached-texts';
import type { PackageBody, SpooledPackage } from '../../../modules/shared/package-body';
import { FileRanges } from '../../spool/file-ranges';
import type { UploadSpool } from '../../spool/upload-spool';

/**
 * SendEdoc carries the package as base64 inside the envelope: 67 MB of text for a 50 MB package.
 * node-soap would turn the body into a string, then build the Package field as a second one,
 * before the handler decodes it — three copies of the package at once. So before node-soap sees
 * the body, a large Package text is taken out (the same detaching the inspector uses) and
 * node-soap parses a small envelope; the handler decodes the package from the received bytes.
 */
const LIFTED = Symbol('lifted package');
/** In memory: the envelope's detached texts; spooled: the token and the package's own spool file. */
type Lifted = DetachedTexts | { token: string; body: SpooledPackage };
/** The lifted package's spool file, kept after the handler takes it: removed when the call ends. */
const SPOOLED = Symbol('spooled package');
type LiftingRequest = Request & { [LIFTED]?: Lifted; [SPOOLED]?: SpooledPackage };

/** Texts below this are left to node-soap: lifting only pays for large packages. */
const LIFT_FROM_BYTES = 1024 * 1024;
/** The Package start tag sits after the SOAP header (credentials): well inside the first 64 KiB. */
const HEAD_BYTES = 64 * 1024;

/** The body node-soap should parse, with a large Package text replaced by a token remembered on `req`. */
export function liftPackage(req: Request, body: Buffer): Buffer {
  const range = packageText(body);
  if (!range) return body;
  const detached = DetachedTexts.detach(body, [range]);
  if (detached.texts.size === 0) return body;
  (req as LiftingRequest)[LIFTED] = detached.texts;
  return detached.bytes;
}

/**
 * The package bytes of a SendEdoc `Package` value: when it was lifted, decoded in place inside
 * the received body (base64 is longer than the bytes, so the package fits where its text was)
 * and then forgotten; else from the value node-soap parsed.
 */
export function packageBytes(req: Request | undefined, value: string): PackageBody {
  const lifting = req as LiftingRequest | undefined;
  const lifted = lifting?.[LIFTED];
  if (lifted && !(lifted instanceof DetachedTexts)) {
    if (lifted.token !== value) return Buffer.from(value, 'base64');
    delete lifting[LIFTED];
    return lifted.body;
  }
  const text = lifted?.lookup(value);
  if (text) {
    delete lifting![LIFTED];
    // The received body is this request's own and nothing reads it after this.
    return text.decodeInPlace();
  }
  return Buffer.from(value, 'base64');
}

/**
 * The same for an envelope spooled to a file (a large upload): the Package text is decoded from
 * the file into the package's own spool file, and node-soap gets the envelope without it. The
 * caller removes both files when the call ends (`spooledFiles`). An envelope whose long base64
 * text is anything but the Package (no client sends one) is read into memory and lifted there.
 */
export function liftSpooledPackage(req: Request, envelope: SpooledPackage, spool: UploadSpool): Buffer {
  const source = FileRanges.open(envelope);
  try {
    const detached = DetachedTexts.detachRuns(source, LIFT_FROM_BYTES);
    const skeleton = detached.bytes;
    const [only, ...others] = detached.tokens;
    const token = only && skeleton.toString('latin1', only.start, only.end);
    const text = token ? detached.texts.lookup(token) : undefined;
    if (!only || others.length > 0 || !text || !isPackageElementAt(skeleton, only.start)) {
      const whole = Buffer.allocUnsafe(source.length);
      let at = 0;
      for (const piece of source.pieces(0, source.length)) at += piece.copy(whole, at);
      return liftPackage(req, whole);
    }
    const body = writeDecoded(text, spool);
    (req as LiftingRequest)[LIFTED] = { token: token!, body };
    (req as LiftingRequest)[SPOOLED] = body;
    return skeleton;
  } finally {
    source.close();
  }
}

/** The spool file of the package lifted from this request, if any: to remove when the call ends. */
export function liftedBody(req: Request): SpooledPackage | undefined {
  return (req as LiftingRequest)[SPOOLED];
}

function writeDecoded(text: DetachedText, spool: UploadSpool): SpooledPackage {
  const path = spool.path();
  const fd = openSync(path, 'wx', 0o600);
  const hash = createHash('sha256');
  let length = 0;
  try {
    for (const piece of text.decodedPieces()) {
      hash.update(piece);
      for (let at = 0; at < piece.length;) at += writeSync(fd, piece, at, piece.length - at);
      length += piece.length;
    }
  } finally {
    closeSync(fd);
  }
  return { spoolPath: path, length, sha256: hash.digest('hex') };
}

/** Whether the text at `start` is the content of a `<Package>` or `<prefix:Package>` start tag. */
function isPackageElementAt(body: Buffer, start: number): boolean {
  const head = body.toString('latin1', Math.max(0, start - 200), start);
  return /<(?:[A-Za-z_][\w.-]*:)?Package>$/.test(head);
}

/** The text of the first element named Package (any prefix), when it is large and alone in it. */
function packageText(body: Buffer): { start: number; end: number } | null {
  const head = body.subarray(0, HEAD_BYTES);
  for (let at = head.indexOf('Package'); at !== -1; at = head.indexOf('Package', at + 1)) {
    if (body[at + 'Package'.length] !== 0x3e /* > */) continue;
    // `<Package>` or `<prefix:Package>`
    let lt = at - 1;
    if (body[lt] === 0x3a /* : */) {
      lt--;
      while (lt > 0 && isNameByte(body[lt]!)) lt--;
    }
    if (body[lt] !== 0x3c /* < */) continue;
    const start = at + 'Package>'.length;
    const end = body.indexOf(0x3c, start);
    if (end === -1 || body[end + 1] !== 0x2f /* / */ || end - start < LIFT_FROM_BYTES) return null;
    return { start, end };
  }
  return null;
}

function isNameByte(c: number): boolean {
  return (
    (c >= 0x30 && c <= 0x39) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x61 && c <= 0x7a) ||
    c === 0x5f ||
    c === 0x2d ||
    c === 0x2e
  );
}
