import type { ServerResponse } from 'node:http';

/**
 * Encoded output is made a small piece at a time into two buffers used in turn, each reused only
 * once the socket has taken what was written from it: base64 strings (4 MB per 3 MB read) grew
 * V8's heap, and a new buffer per piece its external memory, by some 30 MB per 46 MB download.
 * A multiple of 3, so the pieces' base64 joins into the base64 of the whole.
 */
const ENCODED_PIECE_BYTES = 48 * 1024;
const BASE64_LETTERS = Buffer.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/');
const PAD = 0x3d;

/** Standard base64 (with padding) of `bytes`, into `out` (a new buffer if not given); returns it. */
export function base64Buffer(bytes: Buffer, into?: Buffer): Buffer {
  const out = into ?? Buffer.allocUnsafe(Math.ceil(bytes.length / 3) * 4);
  const a = BASE64_LETTERS;
  let o = 0;
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out[o++] = a[n >>> 18]!;
    out[o++] = a[(n >>> 12) & 63]!;
    out[o++] = a[(n >>> 6) & 63]!;
    out[o++] = a[n & 63]!;
  }
  const left = bytes.length - i;
  if (left > 0) {
    const n = (bytes[i]! << 16) | (left === 2 ? bytes[i + 1]! << 8 : 0);
    out[o++] = a[n >>> 18]!;
    out[o++] = a[(n >>> 12) & 63]!;
    out[o++] = left === 2 ? a[(n >>> 6) & 63]! : PAD;
    out[o++] = PAD;
  }
  return out.subarray(0, o);
}

/**
 * Writes pieces to a response as they come, waiting for the socket to drain, so a large package
 * passes through in bounded memory. A failure half way destroys the response: the client sees a
 * broken transfer and asks again, rather than a short package that looks whole.
 */
export async function writeChunks(
  res: ServerResponse,
  chunks: AsyncIterable<Uint8Array>,
  encode?: 'base64',
): Promise<boolean> {
  // A client that goes away never drains nor takes a write: stop instead of waiting for ever.
  let gone = false;
  const closed = new Promise<void>((r) => res.once('close', () => ((gone = true), r())));
  const until = async (event: Promise<unknown>) => {
    await Promise.race([event, closed]);
    if (gone && !res.writableFinished) throw new Error('the client went away');
  };
  const drained = () => until(new Promise((r) => res.once('drain', r)));
  const write = async (piece: Uint8Array) => {
    if (!res.write(piece)) await drained();
  };
  const encoded = [0, 1].map(() => ({
    buffer: Buffer.allocUnsafe((ENCODED_PIECE_BYTES / 3) * 4),
    taken: Promise.resolve(),
  }));
  let turn = 0;
  const writeEncoded = async (piece: Buffer) => {
    const slot = encoded[turn++ % 2]!;
    await until(slot.taken);
    const out = base64Buffer(piece, slot.buffer);
    let taken!: () => void;
    slot.taken = new Promise<void>((r) => (taken = r));
    if (!res.write(out, () => taken())) await drained();
  };
  try {
    for await (const chunk of chunks) {
      const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      if (!encode) await write(bytes);
      else
        for (let at = 0; at < bytes.length; at += ENCODED_PIECE_BYTES)
          await writeEncoded(bytes.subarray(at, at + ENCODED_PIECE_BYTES));
    }
    return true;
  } catch (error) {
    res.destroy(error instanceof Error ? error : new Error(String(error)));
    return false;
  }
}

/** All pieces as one buffer (for transports that cannot stream, such as a SOAP envelope). */
export async function collectChunks(chunks: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts);
}
