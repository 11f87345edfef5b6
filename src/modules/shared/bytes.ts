/**
 * The bytes as a Buffer over the same memory. Packages arrive as Uint8Array views (AMQP frames,
 * worker transfers); `Buffer.from(uint8Array)` would copy up to 50 MB just to get Buffer methods.
 */
export function bufferView(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

/**
 * Large packages are held in shared memory: the inspection worker reads the very bytes the
 * transport received and the store writes, instead of a copy of up to 50 MB posted to it.
 * Nothing writes into a package once it is received, so sharing is safe.
 */
export const SHARED_FROM_BYTES = 256 * 1024;

/** A buffer for `length` package bytes: in shared memory when large, else an ordinary one. */
export function packageBuffer(length: number): Buffer {
  return length >= SHARED_FROM_BYTES
    ? Buffer.from(new SharedArrayBuffer(length))
    : Buffer.allocUnsafe(length);
}

/** The pieces joined into one package buffer (shared when large). */
export function joinPackage(pieces: readonly Uint8Array[], length: number): Buffer {
  const out = packageBuffer(length);
  let at = 0;
  for (const piece of pieces) {
    out.set(piece.subarray(0, length - at), at);
    at += Math.min(piece.length, length - at);
  }
  return out.subarray(0, at);
}

export function isShared(bytes: Uint8Array): boolean {
  return bytes.buffer instanceof SharedArrayBuffer;
}
