/**
 * The bytes as a Buffer over the same memory. Packages arrive as Uint8Array views (AMQP frames,
 * worker transfers); `Buffer.from(uint8Array)` would copy up to 50 MB just to get Buffer methods.
 */
export function bufferView(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}
