import type { Request } from 'express';
import { DetachedTexts } from '../../modules/edoc/xml/detached-texts';

/**
 * SendEdoc carries the package as base64 inside the envelope: 67 MB of text for a 50 MB package.
 * node-soap would turn the body into a string, then build the Package field as a second one,
 * before the handler decodes it — three copies of the package at once. So before node-soap sees
 * the body, a large Package text is taken out (the same detaching the inspector uses) and
 * node-soap parses a small envelope; the handler decodes the package from the received bytes.
 */
const LIFTED = Symbol('lifted package');
type LiftingRequest = Request & { [LIFTED]?: DetachedTexts };

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
export function packageBytes(req: Request | undefined, value: string): Buffer {
  const lifting = req as LiftingRequest | undefined;
  const lifted = lifting?.[LIFTED]?.lookup(value);
  if (lifted) {
    delete lifting![LIFTED];
    // The received body is this request's own and nothing reads it after this.
    return lifted.decodeInPlace();
  }
  return Buffer.from(value, 'base64');
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
