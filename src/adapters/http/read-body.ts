import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { rmSync, type WriteStream } from 'node:fs';
import type { Readable } from 'node:stream';
import type { PackageBody } from '../../modules/shared/package-body';
import { SPOOL_FROM_BYTES, type UploadSpool } from '../spool/upload-spool';
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

/** A package as a bridge received it: in memory, or in a spool file when large. */
export interface ReceivedPackage {
  /** At most `maxBytes + 1` bytes, as in `Upload`. */
  body: PackageBody;
  truncated: boolean;
  sha256: string;
  totalBytes: number;
  /**
   * When the bytes end with CRLF and were all kept: the package without that CRLF (the axis SDK
   * 2.0.1 writes one after the file), with its own SHA-256. The caller decides which was meant.
   */
  withoutTrailingCrlf: { body: PackageBody; sha256: string } | null;
}

/**
 * SHA-256 of a stream that can also say what the digest would be without the stream's last two
 * bytes: they are held back from the hash until more bytes come, so nothing is read twice.
 */
class HashHoldingTail {
  private readonly hash = createHash('sha256');
  private tail = Buffer.alloc(0);

  update(chunk: Buffer): void {
    if (chunk.length >= 2) {
      this.hash.update(this.tail);
      this.hash.update(chunk.subarray(0, chunk.length - 2));
      this.tail = Buffer.from(chunk.subarray(chunk.length - 2));
      return;
    }
    const joined = Buffer.concat([this.tail, chunk]);
    this.hash.update(joined.subarray(0, Math.max(0, joined.length - 2)));
    this.tail = joined.subarray(Math.max(0, joined.length - 2));
  }

  /** The digest of everything so far, without ending the hash. */
  peek(): string {
    return this.hash.copy().update(this.tail).digest('hex');
  }

  /** The digest without the held-back CRLF, if the bytes so far end with one. */
  withoutTrailingCrlf(): string | null {
    return this.tail.length === 2 && this.tail[0] === 0x0d && this.tail[1] === 0x0a
      ? this.hash.copy().digest('hex')
      : null;
  }

  digest(): string {
    return this.hash.update(this.tail).digest('hex');
  }
}

/**
 * Reads a package upload. A small one is kept in memory (`readBody`); one announced as large, or
 * growing large, goes to a spool file as it comes, with back-pressure on the client, so the bus
 * holds a few chunks of it at a time whatever its size. The caller releases the spool file.
 */
export function receivePackage(
  stream: Readable,
  maxBytes: number,
  expectedBytes: number | undefined,
  spool: UploadSpool,
): Promise<ReceivedPackage> {
  return new Promise((resolve, reject) => {
    const cap = maxBytes + 1;
    const hash = new HashHoldingTail();
    const small = new KeptBytes(
      cap,
      expectedBytes !== undefined && expectedBytes < SPOOL_FROM_BYTES ? expectedBytes : undefined,
    );
    let file: { path: string; stream: WriteStream } | null = null;
    let kept = 0;
    let total = 0;
    let failed = false;
    /** SHA-256 of the kept bytes, when they are fewer than all (an oversize upload). */
    let keptSha256: string | null = null;
    const fail = (error: unknown) => {
      if (failed) return;
      failed = true;
      if (file) {
        file.stream.destroy();
        rmSync(file.path, { force: true });
      }
      stream.resume();
      reject(error instanceof Error ? error : new Error(String(error)));
    };
    const toFile = (chunk: Buffer) => {
      if (!file) {
        file = spool.create();
        file.stream.on('error', fail);
        if (kept > 0) file.stream.write(small.bytes());
      }
      if (!file.stream.write(chunk)) {
        stream.pause();
        file.stream.once('drain', () => stream.resume());
      }
    };
    if (expectedBytes !== undefined && expectedBytes >= SPOOL_FROM_BYTES) toFile(Buffer.alloc(0));
    stream.on('data', (chunk: Buffer) => {
      if (failed) return;
      total += chunk.length;
      const take = chunk.subarray(0, Math.max(0, cap - kept));
      hash.update(take);
      if (take.length > 0) {
        if (file || kept + take.length >= SPOOL_FROM_BYTES) toFile(take);
        else small.add(take);
        kept += take.length;
        if (kept === cap) keptSha256 = hash.peek();
      }
      if (take.length < chunk.length) hash.update(chunk.subarray(take.length));
    });
    stream.on('error', fail);
    stream.on('end', () => {
      const truncated = total > maxBytes;
      const trimmedSha256 = truncated ? null : hash.withoutTrailingCrlf();
      const sha256 = hash.digest();
      const received = (body: PackageBody, trimmed: PackageBody): ReceivedPackage => ({
        body,
        truncated,
        sha256,
        totalBytes: total,
        withoutTrailingCrlf: trimmedSha256 === null ? null : { body: trimmed, sha256: trimmedSha256 },
      });
      if (!file) {
        const bytes = small.bytes();
        return resolve(received(bytes, bytes.subarray(0, bytes.length - 2)));
      }
      const { path, stream: out } = file;
      out.end(() => {
        if (failed) return;
        // The spooled body's hash is of the kept bytes: the ones inspection and storing read.
        const body = { spoolPath: path, length: kept, sha256: keptSha256 ?? sha256 };
        resolve(received(body, { spoolPath: path, length: kept - 2, sha256: trimmedSha256 ?? '' }));
      });
    });
  });
}

/** The request's Content-Length, when it gives one. */
export function announcedLength(req: IncomingMessage): number | undefined {
  const value = req.headers['content-length'];
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
}
