/**
 * A large upload is not held in memory: the bridge writes it to a spool file as it arrives and
 * every later step (inspection, storing, quarantine) reads it a range at a time. Packages from the
 * broker, and small uploads, stay ordinary bytes.
 */
export interface SpooledPackage {
  readonly spoolPath: string;
  readonly length: number;
  /** SHA-256 (hex) of the bytes as received, computed while they were written. */
  readonly sha256: string;
}

export type PackageBody = Uint8Array | SpooledPackage;

export function isSpooled(body: PackageBody): body is SpooledPackage {
  return !(body instanceof Uint8Array) && typeof body.spoolPath === 'string';
}

/**
 * Synchronous, ranged reads of a package, in memory or in a spool file (the inspection worker's
 * view: libxml2's canonical output is hashed in a synchronous callback). A yielded piece is
 * valid until the next one is asked for.
 */
export interface ByteRanges {
  readonly length: number;
  pieces(start: number, end: number): Generator<Buffer>;
  /** The bytes themselves, when they are in memory. */
  readonly memory: Buffer | null;
}

export function memoryRanges(bytes: Buffer): ByteRanges {
  return {
    length: bytes.length,
    memory: bytes,
    *pieces(start: number, end: number) {
      if (end > start) yield bytes.subarray(start, end);
    },
  };
}
