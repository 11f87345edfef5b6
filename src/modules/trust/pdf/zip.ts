import { inflateRawSync } from 'node:zlib';

export interface ZipEntry {
  name: string;
  data: Buffer;
}

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL = 0x06054b50;

/**
 * Reads the files of a ZIP archive (the SDK zips attachments, e.g. a .doc or a PDF), bounded:
 * at most `maxEntries` entries and `maxTotalBytes` inflated, so a zip bomb costs nothing. Only
 * stored and deflated entries; anything else is skipped. Returns null when it is not a ZIP.
 */
export function readZip(archive: Buffer, maxTotalBytes: number, maxEntries = 64): ZipEntry[] | null {
  if (archive.length < 22 || archive.readUInt32LE(0) !== LOCAL_HEADER) return null;
  let eocd = -1;
  for (let i = archive.length - 22; i >= Math.max(0, archive.length - 22 - 65_535); i--) {
    if (archive.readUInt32LE(i) === END_OF_CENTRAL) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) return null;
  const count = Math.min(archive.readUInt16LE(eocd + 10), maxEntries);
  let at = archive.readUInt32LE(eocd + 16);
  const entries: ZipEntry[] = [];
  let total = 0;
  for (let n = 0; n < count && at + 46 <= archive.length; n++) {
    if (archive.readUInt32LE(at) !== CENTRAL_HEADER) break;
    const method = archive.readUInt16LE(at + 10);
    const compressed = archive.readUInt32LE(at + 20);
    const size = archive.readUInt32LE(at + 24);
    const nameLength = archive.readUInt16LE(at + 28);
    const extraLength = archive.readUInt16LE(at + 30);
    const commentLength = archive.readUInt16LE(at + 32);
    const local = archive.readUInt32LE(at + 42);
    const name = archive.subarray(at + 46, at + 46 + nameLength).toString('utf8');
    at += 46 + nameLength + extraLength + commentLength;
    if (local + 30 > archive.length || archive.readUInt32LE(local) !== LOCAL_HEADER) continue;
    const dataStart = local + 30 + archive.readUInt16LE(local + 26) + archive.readUInt16LE(local + 28);
    const raw = archive.subarray(dataStart, dataStart + compressed);
    if (size > maxTotalBytes - total) break;
    try {
      const data =
        method === 0
          ? Buffer.from(raw)
          : method === 8
            ? inflateRawSync(raw, { maxOutputLength: maxTotalBytes - total })
            : null;
      if (!data) continue;
      total += data.length;
      entries.push({ name, data });
    } catch {
      // a damaged or oversized entry: skipped
    }
  }
  return entries;
}
