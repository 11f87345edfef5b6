import type { ServerResponse } from 'node:http';

/**
 * Encoded output is made a small piece at a time: a string under V8's large-object size dies
 * young (cheap scavenges) instead of piling up in the large-object space between full
 * collections (4 MB of base64 per 3 MB read, 16 times for a 46 MB package). A multiple of 3, so
 * the pieces' base64 joins into the base64 of the whole.
 */
const ENCODED_PIECE_BYTES = 48 * 1024;

/**
 * Writes pieces to a response as they come, waiting for the socket to drain, so a large package
 * passes through in bounded memory. A failure half way destroys the response: the client sees a
 * broken transfer and asks again, rather than a short package that looks whole.
 */
export async function writeChunks(
  res: ServerResponse,
  chunks: AsyncIterable<Uint8Array>,
  encode?: (piece: Buffer) => string,
): Promise<boolean> {
  const write = async (piece: string | Uint8Array) => {
    if (!res.write(piece)) await new Promise((r) => res.once('drain', r));
  };
  try {
    for await (const chunk of chunks) {
      const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      if (!encode) await write(bytes);
      else
        for (let at = 0; at < bytes.length; at += ENCODED_PIECE_BYTES)
          await write(encode(bytes.subarray(at, at + ENCODED_PIECE_BYTES)));
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
