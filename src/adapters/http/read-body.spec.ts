import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { readBody, receivePackage } from './read-body';
import { UploadSpool } from '../spool/upload-spool';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync, rmSync } from 'node:fs';
import { isSpooled } from '../../modules/shared/package-body';

describe('reading a request body', () => {
  const data = randomBytes(300_000);
  const chunked = () =>
    Readable.from([0, 1, 2, 3, 4, 5].map((i) => data.subarray(i * 50_000, (i + 1) * 50_000)));
  const sha = createHash('sha256').update(data).digest('hex');

  it.each([
    ['no announced length', undefined],
    ['the exact length announced', data.length],
    ['a length announced too small', 120_000],
    ['a length announced too large', 10_000_000],
  ])('keeps the bytes as sent with %s', async (_label, announced) => {
    const upload = await readBody(chunked(), 1_000_000, announced);
    expect(upload.bytes.equals(data)).toBe(true);
    expect(upload).toMatchObject({ truncated: false, sha256: sha, totalBytes: data.length });
    // 300 kB is a large package: the inspection worker reads it in place, not a copy.
    expect(upload.bytes.buffer).toBeInstanceOf(SharedArrayBuffer);
  });

  it('keeps a small body in ordinary memory', async () => {
    const upload = await readBody(Readable.from([data.subarray(0, 1000)]), 1_000_000, 1000);
    expect(upload.bytes.equals(data.subarray(0, 1000))).toBe(true);
    expect(upload.bytes.buffer).not.toBeInstanceOf(SharedArrayBuffer);
  });

  it.each([undefined, data.length])(
    'keeps one byte past the cap and hashes everything (announced %s)',
    async (announced) => {
      const upload = await readBody(chunked(), 100_000, announced);
      expect(upload.bytes.equals(data.subarray(0, 100_001))).toBe(true);
      expect(upload).toMatchObject({ truncated: true, sha256: sha, totalBytes: data.length });
    },
  );
});

describe('receiving a package that ends with CRLF (the axis SDK writes one after the file)', () => {
  const spool = new UploadSpool(join(tmpdir(), `edoc-read-body-${process.pid}`));
  afterAll(() => rmSync(spool.directory, { recursive: true, force: true }));
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

  it.each([
    ['in memory, CRLF in its own chunk', 1000, [1000, 2]],
    ['in memory, CR and LF in different chunks', 1000, [999, 2, 1]],
    ['in memory, one byte at a time at the end', 10, [8, 1, 1, 1, 1]],
    ['spooled to a file', 5 * 1024 * 1024, [3 * 1024 * 1024, 2 * 1024 * 1024 + 2]],
  ])('gives the package with and without it, %s', async (_label, size, cuts) => {
    const file = randomBytes(size);
    const body = Buffer.concat([file, Buffer.from('\r\n')]);
    const pieces: Buffer[] = [];
    let at = 0;
    for (const n of cuts) pieces.push(body.subarray(at, (at += n)));
    const got = await receivePackage(Readable.from(pieces), 50 * 1024 * 1024, undefined, spool);
    expect(got.sha256).toBe(sha(body));
    expect(got.withoutTrailingCrlf?.sha256).toBe(sha(file));
    const trimmed = got.withoutTrailingCrlf!.body;
    if (isSpooled(trimmed)) {
      expect(trimmed.length).toBe(file.length);
      expect(readFileSync(trimmed.spoolPath).subarray(0, trimmed.length).equals(file)).toBe(true);
    } else expect(Buffer.from(trimmed).equals(file)).toBe(true);
  });

  it('offers nothing else when the body does not end with CRLF, or is cut at the cap', async () => {
    const plain = await receivePackage(Readable.from([Buffer.from('<a/>\n')]), 1000, undefined, spool);
    expect(plain.withoutTrailingCrlf).toBeNull();
    const capped = await receivePackage(
      Readable.from([Buffer.alloc(2000, 0x41), Buffer.from('\r\n')]),
      1000,
      undefined,
      spool,
    );
    expect(capped).toMatchObject({ truncated: true, withoutTrailingCrlf: null });
  });
});
