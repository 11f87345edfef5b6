import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';

export interface Upload {
  /** At most `maxBytes + 1` bytes: one more than allowed tells the package use case it is too large. */
  bytes: Buffer;
  truncated: boolean;
  /** SHA-256 hex of everything the client sent (all of it, even past the cap). */
  sha256: string;
  totalBytes: number;
}

/**
 * Reads a stream (a raw request body, one multipart part) as it comes in, keeping at most
 * `maxBytes + 1` bytes and hashing all of it: an oversize upload costs no memory beyond the cap,
 * and the package use case still refuses it as too large, with a receipt.
 */
export function readBody(stream: Readable, maxBytes: number): Promise<Upload> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    const chunks: Buffer[] = [];
    let kept = 0;
    let total = 0;
    stream.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      total += chunk.length;
      if (kept <= maxBytes) {
        const take = chunk.subarray(0, maxBytes + 1 - kept);
        chunks.push(take);
        kept += take.length;
      }
    });
    stream.on('error', reject);
    stream.on('end', () =>
      resolve({
        bytes: Buffer.concat(chunks, kept),
        truncated: total > maxBytes,
        sha256: hash.digest('hex'),
        totalBytes: total,
      }),
    );
  });
}
