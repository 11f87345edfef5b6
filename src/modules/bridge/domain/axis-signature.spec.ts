import { createHash } from 'node:crypto';
import {
  axisFileHashMatches,
  axisHexSpelling,
  axisHmac,
  axisUploadedFile,
  axisHmacMatches,
  formatAxisTimestamp,
  parseAxisTimestamp,
  signedParameters,
} from './axis-signature';

describe('the axis SDK request signature', () => {
  const json = '{"XroadVnpt-systemid":"000.00.00.H41","XroadVnpt-timestamp":"22112026T153000+0042"}';

  it('matches the HMAC-SHA256 hex of the JSON as sent, and nothing else', () => {
    const hash = axisHmac('s3cret', json);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(axisHmacMatches('s3cret', json, hash)).toBe(true);
    expect(axisHmacMatches('s3cret', json, hash.toUpperCase())).toBe(true);
    expect(axisHmacMatches('other', json, hash)).toBe(false);
    expect(axisHmacMatches('s3cret', json.replace('H41', 'H49'), hash)).toBe(false);
    expect(axisHmacMatches('s3cret', json, hash.slice(0, 62))).toBe(false);
    expect(axisHmacMatches('s3cret', json, 'zz'.repeat(32))).toBe(false);
  });

  it('reads the signed parameters without the prefix, and refuses anything but a flat object of strings', () => {
    expect(signedParameters(json)).toEqual({ systemid: '000.00.00.H41', timestamp: '22112026T153000+0042' });
    expect(signedParameters('{"a":1}')).toBeNull();
    expect(signedParameters('[]')).toBeNull();
    expect(signedParameters('not json')).toBeNull();
    expect(signedParameters(`{"a":"${'x'.repeat(20_000)}"}`)).toBeNull();
  });

  it("reads the Java timestamp ddMMyyyy'T'HHmmss+SSSS in Vietnam time", () => {
    expect(parseAxisTimestamp('22112026T153000+0042', 420)?.toISOString()).toBe('2026-11-22T08:30:00.042Z');
    expect(parseAxisTimestamp('31022026T153000+0042', 420)).toBeNull();
    expect(parseAxisTimestamp('2026-11-22T15:30:00Z', 420)).toBeNull();
    expect(parseAxisTimestamp('22132026T153000+0042', 420)).toBeNull();
    const at = new Date('2026-11-22T23:59:59.123Z');
    expect(parseAxisTimestamp(formatAxisTimestamp(at, 420), 420)).toEqual(at);
  });
});

describe('the axis SDK hash-file', () => {
  const digest = Buffer.from('0a00ff10' + '01'.repeat(28), 'hex');
  const hex = digest.toString('hex');

  it('is spelled byte by byte without zero padding, as Java’s Integer.toHexString', () => {
    expect(axisHexSpelling(digest)).toBe('a0ff10' + '1'.repeat(28));
    expect(axisHexSpelling(Buffer.from('ffee', 'hex'))).toBe('ffee');
  });

  it('matches the digest in either spelling, never a prefix or another digest', () => {
    expect(axisFileHashMatches(hex, hex)).toBe(true);
    expect(axisFileHashMatches(hex.toUpperCase(), hex)).toBe(true);
    expect(axisFileHashMatches(axisHexSpelling(digest), hex)).toBe(true);
    expect(axisFileHashMatches(axisHexSpelling(digest).slice(0, -1), hex)).toBe(false);
    expect(axisFileHashMatches(hex.slice(0, 62), hex)).toBe(false);
    expect(axisFileHashMatches('', hex)).toBe(false);
    const other = createHash('sha256').update('x').digest('hex');
    expect(axisFileHashMatches(other, hex)).toBe(false);
  });

  it('tells which bytes are the file when the body ends with CRLF', () => {
    const file = { sha256: 'f'.repeat(64), name: 'without the CRLF' };
    const whole = { sha256: 'e'.repeat(64), name: 'as received' };
    expect(axisUploadedFile(whole, null, 'e'.repeat(64))).toBe(whole);
    expect(axisUploadedFile(whole, file, 'f'.repeat(64))).toBe(file); // the SDK's CRLF
    expect(axisUploadedFile(whole, file, 'e'.repeat(64))).toBe(whole); // the file's own last line end
    expect(axisUploadedFile(whole, file, null)).toBe(file); // no hash: the SDK always adds one
    expect(axisUploadedFile(whole, file, '0'.repeat(64))).toBe(whole); // neither: refused later
  });
});
