import { closeSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import {
  isSpooled,
  type ByteRanges,
  type PackageBody,
  type SpooledPackage,
} from '../../modules/shared/package-body';

/** Reads of a spool file are a megabyte at a time: the page cache serves them, memory stays flat. */
const PIECE_BYTES = 1024 * 1024;

/**
 * A spooled package for the inspection worker, which reads synchronously (it is a worker thread:
 * blocking it blocks no one). Each generator has its own piece buffer, so two can interleave.
 */
export class FileRanges implements ByteRanges {
  readonly memory = null;
  private constructor(
    private readonly fd: number,
    readonly length: number,
  ) {}

  static open(spooled: SpooledPackage): FileRanges {
    return new FileRanges(openSync(spooled.spoolPath, 'r'), spooled.length);
  }

  *pieces(start: number, end: number): Generator<Buffer> {
    const buffer = Buffer.allocUnsafe(Math.min(PIECE_BYTES, Math.max(0, end - start)));
    for (let at = start; at < end;) {
      const n = readSync(this.fd, buffer, 0, Math.min(buffer.length, end - at), at);
      if (n === 0) throw new Error(`spool file ended at byte ${at} of ${end}`);
      yield buffer.subarray(0, n);
      at += n;
    }
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** The main thread's reads of a spooled package (storing, quarantine): asynchronous, in pieces. */
export async function* spooledPieces(spooled: SpooledPackage, end = spooled.length): AsyncGenerator<Buffer> {
  const file = await open(spooled.spoolPath, 'r');
  try {
    for (let at = 0; at < end;) {
      // A new buffer per piece: a consumer (a COPY stream) may still hold the previous one.
      const buffer = Buffer.allocUnsafe(Math.min(PIECE_BYTES, end - at));
      const { bytesRead } = await file.read(buffer, 0, buffer.length, at);
      if (bytesRead === 0) throw new Error(`spool file ended at byte ${at} of ${end}`);
      yield buffer.subarray(0, bytesRead);
      at += bytesRead;
    }
  } finally {
    await file.close();
  }
}

/** The first `end` bytes of a spooled package in one buffer (a quarantine record's capped body). */
export async function readSpooled(spooled: SpooledPackage, end = spooled.length): Promise<Buffer> {
  const pieces: Buffer[] = [];
  for await (const piece of spooledPieces(spooled, end)) pieces.push(piece);
  return Buffer.concat(pieces);
}

/** The first `end` bytes of a package (all by default), in memory whether or not it was spooled. */
export async function bodyBytes(body: PackageBody, end = body.length): Promise<Uint8Array> {
  if (isSpooled(body)) return readSpooled(body, end);
  return end >= body.length ? body : body.subarray(0, end);
}
