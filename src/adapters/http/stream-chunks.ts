import type { ServerResponse } from 'node:http';

/**
 * Writes pieces to a response as they come, waiting for the socket to drain, so a large package
 * passes through in bounded memory. A failure half way destroys the response: the client sees a
 * broken transfer and asks again, rather than a short package that looks whole.
 */
export async function writeChunks(
  res: ServerResponse,
  chunks: AsyncIterable<Uint8Array>,
  encode: (chunk: Buffer) => string | Buffer = (c) => c,
): Promise<boolean> {
  try {
    for await (const chunk of chunks) {
      const piece = encode(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      if (!res.write(piece)) await new Promise((r) => res.once('drain', r));
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
