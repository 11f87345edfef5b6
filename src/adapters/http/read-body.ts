import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Upload } from './multipart-upload';

/**
 * Reads a raw request body as it streams in, keeping at most `maxBytes + 1` bytes (the package use
 * case then refuses it as too large, with a receipt) and hashing all of it.
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Upload> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    const chunks: Buffer[] = [];
    let kept = 0;
    let total = 0;
    req.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      total += chunk.length;
      if (kept <= maxBytes) {
        const take = chunk.subarray(0, maxBytes + 1 - kept);
        chunks.push(take);
        kept += take.length;
      }
    });
    req.on('error', reject);
    req.on('end', () =>
      resolve({
        bytes: Buffer.concat(chunks, kept),
        truncated: total > maxBytes,
        sha256: hash.digest('hex'),
        totalBytes: total,
      }),
    );
  });
}
