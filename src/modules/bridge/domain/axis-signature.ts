import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The national axis SDK's request signature (SDKVXP `VnptService`): every parameter travels as an
 * `XroadVnpt-<name>` header; the SDK serialises them as one JSON object, sends that JSON as
 * `XroadVnpt-sign-header` and its HMAC-SHA256 (hex, key = the system's secret) as
 * `XroadVnpt-hash-header`. The server checks the HMAC over the JSON exactly as received, then
 * reads the parameters only from that signed JSON.
 */
export const AXIS_PREFIX = 'XroadVnpt-';
export const MAX_SIGNED_HEADER_BYTES = 16 * 1024;

export function axisHmac(secret: string, signedHeaderJson: string): string {
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(signedHeaderJson, 'utf8').digest('hex');
}

/** Constant-time comparison of the HMAC the client sent with the one computed here. */
export function axisHmacMatches(secret: string, signedHeaderJson: string, hashHex: string): boolean {
  const expected = Buffer.from(axisHmac(secret, signedHeaderJson), 'hex');
  const given = /^[0-9a-fA-F]{64}$/.test(hashHex) ? Buffer.from(hashHex, 'hex') : Buffer.alloc(0);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * The signed parameters, keyed by name without the prefix (`systemid`, `timestamp`, `from`…).
 * `null` if the JSON is not a flat object of strings.
 */
export function signedParameters(signedHeaderJson: string): Record<string, string> | null {
  if (Buffer.byteLength(signedHeaderJson, 'utf8') > MAX_SIGNED_HEADER_BYTES) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(signedHeaderJson);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return null;
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (typeof value !== 'string') return null;
    const name = key.startsWith(AXIS_PREFIX) ? key.slice(AXIS_PREFIX.length) : key;
    out[name.toLowerCase()] = value;
  }
  return out;
}

/**
 * The SDK's timestamp, Java pattern `ddMMyyyy'T'HHmmss+SSSS` (the `+` is a literal, `SSSS` the
 * milliseconds), written in the client's local time: `zoneOffsetMinutes` (Vietnam: +420).
 */
export function parseAxisTimestamp(text: string, zoneOffsetMinutes: number): Date | null {
  const m = /^(\d{2})(\d{2})(\d{4})T(\d{2})(\d{2})(\d{2})\+(\d{1,4})$/.exec(text);
  if (!m) return null;
  const [dd, mm, yyyy, hh, mi, ss, ms] = m.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const local = new Date(Date.UTC(yyyy, mm - 1, dd, hh, mi, ss, ms));
  // Date.UTC rolls 31 February over into March: refuse what does not come back unchanged.
  if (local.getUTCDate() !== dd || local.getUTCMonth() !== mm - 1 || hh > 23 || mi > 59 || ss > 59)
    return null;
  return new Date(local.getTime() - zoneOffsetMinutes * 60_000);
}

export function formatAxisTimestamp(at: Date, zoneOffsetMinutes: number): string {
  const d = new Date(at.getTime() + zoneOffsetMinutes * 60_000);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return (
    `${p(d.getUTCDate())}${p(d.getUTCMonth() + 1)}${d.getUTCFullYear()}T` +
    `${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}+${p(d.getUTCMilliseconds(), 4)}`
  );
}

/**
 * The axis SDK's spelling of a digest in `hash-file`: each byte as Java's
 * `Integer.toHexString(0xFF & b)`, so without zero padding (0x0a is `a`, and the text is often
 * shorter than 64 characters).
 */
export function axisHexSpelling(digest: Uint8Array): string {
  let out = '';
  for (const b of digest) out += b.toString(16);
  return out;
}

/**
 * Whether a signed `hash-file` names this SHA-256 (hex): as the SDK spells it, or zero-padded as
 * other clients do. The whole spelling is compared, never a prefix, so an unpadded text matches
 * only the digest it was written from.
 */
export function axisFileHashMatches(signedHash: string, sha256Hex: string): boolean {
  const given = signedHash.trim().toLowerCase();
  const expected = sha256Hex.toLowerCase();
  return given === expected || given === axisHexSpelling(Buffer.from(expected, 'hex'));
}

/**
 * Which bytes of an upload are the file. The SDK 2.0.1 sends the file followed by CRLF: when the
 * body ends with CRLF, the signed `hash-file` says whether that CRLF is the file's own last line
 * end or the SDK's; without a hash, the SDK's raw upload always adds one, so it is dropped.
 */
export function axisUploadedFile<T extends { sha256: string }>(
  whole: T,
  withoutTrailingCrlf: T | null,
  signedHash: string | null,
): T {
  if (!withoutTrailingCrlf) return whole;
  if (signedHash === null) return withoutTrailingCrlf;
  if (axisFileHashMatches(signedHash, whole.sha256)) return whole;
  return axisFileHashMatches(signedHash, withoutTrailingCrlf.sha256) ? withoutTrailingCrlf : whole;
}
