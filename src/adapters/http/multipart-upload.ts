import busboy from 'busboy';
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export interface Upload {
  /** At most `maxBytes + 1` bytes: one more than allowed tells the package use case it is too large. */
  bytes: Buffer;
  truncated: boolean;
  /** SHA-256 hex of everything the client sent (all of it, even past the cap). */
  sha256: string;
  totalBytes: number;
}

/**
 * Reads the one file part `field` of a multipart request as it streams in: the bytes are kept
 * only up to the package cap, the rest is hashed and dropped, so an oversize upload costs no
 * memory beyond the cap. Other parts are ignored.
 */
export function readUpload(req: IncomingMessage, field: string, maxBytes: number): Promise<Upload | null> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        limits: { files: 1, fields: 20, parts: 25, fieldSize: 64 * 1024 },
      });
    } catch (error) {
      reject(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    let found: Promise<Upload> | null = null;
    parser.on('file', (name, stream) => {
      if (name !== field || found) {
        stream.resume();
        return;
      }
      found = new Promise<Upload>((done, fail) => {
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
        stream.on('error', fail);
        stream.on('end', () =>
          done({
            bytes: Buffer.concat(chunks, kept),
            truncated: total > maxBytes,
            sha256: hash.digest('hex'),
            totalBytes: total,
          }),
        );
      });
    });
    parser.on('error', reject);
    parser.on('close', () => {
      if (!found) resolve(null);
      else found.then(resolve, reject);
    });
    req.pipe(parser);
  });
}
