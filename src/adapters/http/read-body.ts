import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { joinPackage, packageBuffer } from '../../modules/shared/bytes';

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
export function readBody(stream: Readable, maxBytes: number, expectedBytes?: number): Promise<Upload> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    const kept = new KeptBytes(maxBytes + 1, expectedBytes);
    let total = 0;
    stream.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      total += chunk.length;
      kept.add(chunk);
    });
    stream.on('error', reject);
    stream.on('end', () =>
      resolve({
        bytes: kept.bytes(),
        truncated: total > maxBytes,
        sha256: hash.digest('hex'),
        totalBytes: total,
      }),
    );
  });
}

/**
 * The first `cap` bytes of a stream. When the request says how large it is (Content-Length, an
 * upper bound for one multipart part too), the bytes are copied into one buffer of that size as
 * they come: the package is in memory once, not once as chunks and again when they are joined.
 * (Pages of the buffer not yet written are not resident, so a Content-Length that lies costs
 * nothing; it is capped at the package cap anyway.) A large package lands in shared memory, so
 * the inspection worker reads it where it is.
 */
class KeptBytes {
  private readonly whole: Buffer | null;
  private readonly chunks: Buffer[] = [];
  private length = 0;
  /** Bytes in `whole`; anything after them is in `chunks`. */
  private copied = 0;

  constructor(
    private readonly cap: number,
    expectedBytes: number | undefined,
  ) {
    this.whole =
      expectedBytes !== undefined && Number.isSafeInteger(expectedBytes) && expectedBytes > 0
        ? packageBuffer(Math.min(expectedBytes, cap))
        : null;
  }

  add(chunk: Buffer): void {
    if (this.length >= this.cap) return;
    const take = chunk.subarray(0, this.cap - this.length);
    if (this.whole && this.chunks.length === 0 && this.copied + take.length <= this.whole.length) {
      this.copied += take.copy(this.whole, this.copied);
    } else this.chunks.push(take);
    this.length += take.length;
  }

  bytes(): Buffer {
    if (!this.whole) return joinPackage(this.chunks, this.length);
    const copied = this.whole.subarray(0, this.copied);
    // More came than announced: join what was copied with the rest.
    return this.chunks.length === 0 ? copied : joinPackage([copied, ...this.chunks], this.length);
  }
}

/** The request's Content-Length, when it gives one. */
export function announcedLength(req: IncomingMessage): number | undefined {
  const value = req.headers['content-length'];
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
}
