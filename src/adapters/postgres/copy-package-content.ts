import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { EntityManager } from 'typeorm';

/** Bodies from this size are written with COPY instead of as a statement parameter. */
export const COPIED_BODY_BYTES = 1024 * 1024;
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
  body: Uint8Array,
): Promise<void> {
  const client = (await m.queryRunner!.connect()) as PoolClient;
  const copy = client.query(copyFrom('COPY package_content (package_id, body) FROM STDIN (FORMAT binary)'));
  await pipeline(Readable.from(binaryRow(packageId, body), { objectMode: false }), copy);
}

/** PostgreSQL's binary COPY format: signature, flags, no extension; one tuple of (uuid, bytea). */
function* binaryRow(packageId: string, body: Uint8Array): Generator<Buffer> {
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
  for (let from = 0; from < body.length; from += PIECE_BYTES) {
    const piece = body.subarray(from, Math.min(body.length, from + PIECE_BYTES));
    yield Buffer.from(piece.buffer, piece.byteOffset, piece.length);
  }
  const trailer = Buffer.alloc(2);
  trailer.writeInt16BE(-1, 0);
  yield trailer;
}
