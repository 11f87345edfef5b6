import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PoolClient } from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import type { DataSource, EntityManager } from 'typeorm';
import { packageBuffer } from '../../modules/shared/bytes';
import { isSpooled, type PackageBody } from '../../modules/shared/package-body';
import { spooledPieces } from '../spool/file-ranges';

/** Bodies from this size (and every spooled one) are written with COPY instead of as a statement parameter. */
export const COPIED_BODY_BYTES = 1024 * 1024;

export function isCopied(body: PackageBody): boolean {
  return isSpooled(body) || body.length >= COPIED_BODY_BYTES;
}
const PIECE_BYTES = 1024 * 1024;

/**
 * Writes a package's body as one `package_content` row with a binary COPY, a megabyte at a time.
 * As a statement parameter, node-postgres frames the whole value into its write buffer (grown by
 * doubling, so up to two more copies of a 50 MB package); COPY sends it in pieces from where it
 * already is. Runs on the transaction's own connection, so the row commits with the package.
 */
export async function copyPackageContent(
  m: EntityManager,
  packageId: string,
  body: PackageBody,
): Promise<void> {
  const client = (await m.queryRunner!.connect()) as PoolClient;
  const copy = client.query(copyFrom('COPY package_content (package_id, body) FROM STDIN (FORMAT binary)'));
  await pipeline(Readable.from(binaryRow(packageId, body), { objectMode: false }), copy);
}

/** PostgreSQL's binary COPY format: signature, flags, no extension; one tuple of (uuid, bytea). */
async function* binaryRow(packageId: string, body: PackageBody): AsyncGenerator<Buffer> {
  const uuid = Buffer.from(packageId.replace(/-/g, ''), 'hex');
  if (uuid.length !== 16) throw new Error(`not a uuid: ${packageId}`);
  const head = Buffer.alloc(11 + 4 + 4 + 2 + 4 + 16 + 4);
  let at = head.write('PGCOPY\n\xff\r\n\0', 0, 'latin1');
  at = head.writeInt32BE(0, at); // flags
  at = head.writeInt32BE(0, at); // header extension length
  at = head.writeInt16BE(2, at); // fields in the tuple
  at = head.writeInt32BE(16, at);
  at += uuid.copy(head, at);
  head.writeInt32BE(body.length, at);
  yield head;
  if (isSpooled(body)) {
    yield* spooledPieces(body);
  } else {
    for (let from = 0; from < body.length; from += PIECE_BYTES) {
      const piece = body.subarray(from, Math.min(body.length, from + PIECE_BYTES));
      yield Buffer.from(piece.buffer, piece.byteOffset, piece.length);
    }
  }
  const trailer = Buffer.alloc(2);
  trailer.writeInt16BE(-1, 0);
  yield trailer;
}

/** Binary COPY's file header (signature, flags, extension length) and a tuple's field count and length. */
const COPY_HEADER_BYTES = 11 + 4 + 4;
const TUPLE_HEAD_BYTES = 2 + 4;

/** Reads a stored package's body with a binary COPY into one (shared, when large) buffer. */
export function readPackageContent(db: DataSource, packageId: string): Promise<Buffer | null> {
  return copyOutValue(
    db,
    `SELECT body FROM package_content WHERE package_id = '${uuidText(packageId)}'`,
    packageBuffer,
  );
}

/**
 * The one bytea value a query selects (null if no row), read with a binary COPY. As a query
 * result a bytea comes as hex text, twice its size, then decoded: for a 3 MiB slice 9 MiB of
 * garbage, for a 50 MB body 150 MB. COPY streams the raw bytes into one buffer. `query` must be
 * built only from checked values (COPY takes no parameters).
 */
export async function copyOutValue(
  db: DataSource,
  query: string,
  allocate: (length: number) => Buffer = (n) => Buffer.allocUnsafe(n),
): Promise<Buffer | null> {
  const runner = db.createQueryRunner();
  const client = (await runner.connect()) as PoolClient;
  try {
    const stream = client.query(copyTo(`COPY (${query}) TO STDOUT (FORMAT binary)`));
    let head = Buffer.alloc(0);
    let value: Buffer | null = null;
    let at = 0;
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let piece = chunk;
      if (!value) {
        head = Buffer.concat([head, piece]);
        if (head.length < COPY_HEADER_BYTES + 2) continue;
        if (head.readInt16BE(COPY_HEADER_BYTES) === -1) return null; // no row: the trailer at once
        if (head.length < COPY_HEADER_BYTES + TUPLE_HEAD_BYTES) continue;
        const length = head.readInt32BE(COPY_HEADER_BYTES + 2);
        if (length < 0) return null; // a NULL value
        value = allocate(length);
        piece = head.subarray(COPY_HEADER_BYTES + TUPLE_HEAD_BYTES);
      }
      at += piece.copy(value, at, 0, Math.min(piece.length, value.length - at));
    }
    if (value && at !== value.length) throw new Error(`COPY gave ${at} of ${value.length} bytes`);
    return value;
  } finally {
    await runner.release();
  }
}

function uuidText(id: string): string {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id))
    throw new Error(`not a uuid: ${id}`);
  return id;
}
