import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, type WriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import { createGunzip, createGzip, type Gzip } from 'node:zlib';
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { AuditExportManifest } from '../../modules/audit/domain/audit-verification';
import {
  ArchiveStore,
  type ArchiveSetReader,
  type ArchiveWriter,
  type WrittenSet,
} from '../../modules/retention/archive-store.port';
import {
  ARCHIVED_RECORDS,
  AUDIT_FOLDER,
  namesDigest,
  sha256Hex,
  type ArchiveManifest,
  type ArchivedFile,
  type ArchivedRecords,
  type ManifestSignature,
} from '../../modules/retention/domain/archive-set';
import { MONTH_PATTERN, type Month } from '../../modules/retention/domain/month';
import { AUDIT_EXPORT_FILES, AuditExportWriter, readAuditExport, write } from './audit-export-files';

const MANIFEST = 'manifest.json';
const SIGNATURE = 'manifest.sig.json';
const BODIES = 'packages';
// Gzipped: JSON of rows compresses 16-fold (bench:storage), and the set's digests are of the
// files as stored, so `sha256sum` checks them and `zcat` reads them.
const recordsFile = (r: ArchivedRecords) => `records/${r}.jsonl.gz`;

/** Writes a file's data and its directory entry to disk before going on. */
async function fsync(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Ends a gzip stream and waits until its file is written and closed. */
async function closeGzipped(s: { gzip: Gzip; file: WriteStream }): Promise<void> {
  s.gzip.end();
  await finished(s.file);
}

async function digestOfFile(path: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

/**
 * The archive as a directory (ARCHIVE_DIR), one folder per month:
 *
 *   2024-05/manifest.json, manifest.sig.json   what the set holds, signed with the bus's key
 *   2024-05/records/<records>.jsonl.gz         packages (without bytes), deliveries, trace, receipts, …
 *   2024-05/packages/<sha256>                  each package's bytes, named by their digest
 *   2024-05/audit/                             the month's audit export (edoc-bus audit verify reads it)
 *
 * A set is written in `.2024-05.partial` and renamed into place once every file is on disk, so a
 * month's folder is either complete or absent. In a deployment ARCHIVE_DIR is a mount of storage
 * kept apart from the database's (and copied off-site); nothing in the set needs the database to
 * be read or verified.
 */
export class FsArchiveStore extends ArchiveStore {
  readonly root: string;

  constructor(root: string) {
    super();
    this.root = resolve(root);
  }

  async begin(month: Month): Promise<ArchiveWriter> {
    const partial = join(this.root, `.${month}.partial`);
    await rm(partial, { recursive: true, force: true });
    for (const dir of ['records', BODIES, AUDIT_FOLDER]) await mkdir(join(partial, dir), { recursive: true });
    return new FsArchiveWriter(partial, join(this.root, month));
  }

  async open(month: Month): Promise<ArchiveSetReader | null> {
    const dir = join(this.root, month);
    return existsSync(join(dir, MANIFEST)) ? new FsArchiveSet(dir) : null;
  }

  async months(): Promise<Month[]> {
    if (!existsSync(this.root)) return [];
    return (await readdir(this.root)).filter((name) => MONTH_PATTERN.test(name)).sort();
  }

  async remove(month: Month): Promise<void> {
    if (!MONTH_PATTERN.test(month)) throw new Error(`not a month: ${month}`);
    // Renamed first, so that a set is either whole under its name or gone from it.
    const doomed = join(this.root, `.${month}.purged`);
    if (existsSync(join(this.root, month))) await rename(join(this.root, month), doomed);
    await rm(doomed, { recursive: true, force: true });
  }

  /** A set anywhere on disk (an auditor's copy), for `archive verify`. */
  static at(dir: string): ArchiveSetReader {
    return new FsArchiveSet(resolve(dir));
  }
}

class FsArchiveWriter implements ArchiveWriter {
  private readonly streams = new Map<ArchivedRecords, { gzip: Gzip; file: WriteStream }>();
  private readonly rows = new Map<ArchivedRecords, number>();
  private readonly bodies = new Map<string, number>();
  private audit: AuditExportWriter | null = null;

  constructor(
    private readonly partial: string,
    private readonly final: string,
  ) {
    for (const r of ARCHIVED_RECORDS) {
      const gzip = createGzip();
      const file = createWriteStream(join(partial, recordsFile(r)));
      gzip.pipe(file);
      this.streams.set(r, { gzip, file });
      this.rows.set(r, 0);
    }
  }

  async putBody(bytes: Uint8Array): Promise<string> {
    const digest = sha256Hex(bytes);
    if (!this.bodies.has(digest)) {
      await writeFile(join(this.partial, BODIES, digest), bytes);
      this.bodies.set(digest, bytes.length);
    }
    return digest;
  }

  async appendRecords(records: ArchivedRecords, rows: object[]): Promise<void> {
    const { gzip } = this.streams.get(records)!;
    for (const row of rows) await write(gzip, JSON.stringify(row) + '\n');
    this.rows.set(records, this.rows.get(records)! + rows.length);
  }

  auditSink() {
    this.audit = new AuditExportWriter(join(this.partial, AUDIT_FOLDER));
    return this.audit.sink();
  }

  async finishAudit(manifest: AuditExportManifest): Promise<void> {
    await this.audit!.finish(manifest);
  }

  async close(): Promise<WrittenSet> {
    await Promise.all([...this.streams.values()].map(closeGzipped));
    const file = async (name: string): Promise<ArchivedFile> => {
      const path = join(this.partial, name);
      await fsync(path);
      return { name, ...(await digestOfFile(path)) };
    };
    const records = {} as WrittenSet['records'];
    for (const r of ARCHIVED_RECORDS)
      records[r] = { ...(await file(recordsFile(r))), rows: this.rows.get(r)! };
    const audit: ArchivedFile[] = [];
    for (const name of Object.values(AUDIT_EXPORT_FILES)) audit.push(await file(`${AUDIT_FOLDER}/${name}`));
    for (const digest of this.bodies.keys()) await fsync(join(this.partial, BODIES, digest));
    for (const dir of ['records', BODIES, AUDIT_FOLDER]) await fsync(join(this.partial, dir));
    let bytes = 0;
    for (const size of this.bodies.values()) bytes += size;
    return {
      records,
      audit,
      bodies: { count: this.bodies.size, bytes, namesDigest: namesDigest(this.bodies.keys()) },
    };
  }

  async commit(manifest: ArchiveManifest, signature: ManifestSignature): Promise<void> {
    await writeFile(join(this.partial, MANIFEST), JSON.stringify(manifest, null, 2) + '\n');
    await writeFile(join(this.partial, SIGNATURE), JSON.stringify(signature, null, 2) + '\n');
    await fsync(join(this.partial, MANIFEST));
    await fsync(join(this.partial, SIGNATURE));
    await fsync(this.partial);
    // A set of the same month from an earlier run that did not retire it gives way to this one.
    if (existsSync(this.final)) {
      const old = `${this.partial}.replaced`;
      await rm(old, { recursive: true, force: true });
      await rename(this.final, old);
      await rename(this.partial, this.final);
      await rm(old, { recursive: true, force: true });
    } else {
      await rename(this.partial, this.final);
    }
    await fsync(join(this.final, '..'));
  }

  async abandon(): Promise<void> {
    await Promise.all([...this.streams.values()].map((s) => closeGzipped(s).catch(() => undefined)));
    await rm(this.partial, { recursive: true, force: true });
  }
}

class FsArchiveSet implements ArchiveSetReader {
  constructor(readonly location: string) {}

  async manifest(): Promise<{ manifest: ArchiveManifest; signature: ManifestSignature } | null> {
    try {
      return {
        manifest: JSON.parse(await readFile(join(this.location, MANIFEST), 'utf8')) as ArchiveManifest,
        signature: JSON.parse(await readFile(join(this.location, SIGNATURE), 'utf8')) as ManifestSignature,
      };
    } catch {
      return null;
    }
  }

  async digestOf(name: string): Promise<{ sha256: string; bytes: number } | null> {
    const path = resolve(this.location, name);
    // A manifest names files inside its set, never elsewhere.
    if (relative(this.location, path).startsWith('..')) return null;
    try {
      if (!(await stat(path)).isFile()) return null;
    } catch {
      return null;
    }
    return digestOfFile(path);
  }

  async bodyNames(): Promise<string[]> {
    try {
      return (await readdir(join(this.location, BODIES))).sort();
    } catch {
      return [];
    }
  }

  async body(name: string): Promise<Uint8Array> {
    if (!/^[0-9a-f]{64}$/.test(name)) throw new Error(`not a package body name: ${name}`);
    return readFile(join(this.location, BODIES, name));
  }

  async *records(records: ArchivedRecords): AsyncIterable<Record<string, unknown>> {
    const path = join(this.location, recordsFile(records));
    if (!existsSync(path)) return;
    const lines = createInterface({
      input: createReadStream(path).pipe(createGunzip()),
      crlfDelay: Infinity,
    });
    for await (const line of lines) if (line.trim() !== '') yield JSON.parse(line) as Record<string, unknown>;
  }

  async auditExport() {
    return readAuditExport(join(this.location, AUDIT_FOLDER));
  }
}
