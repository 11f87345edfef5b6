import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { readBody } from './read-body';

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
