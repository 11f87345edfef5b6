import { createWriteStream, readFileSync, statSync, writeFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import type { AuditEntry } from '../../modules/audit/domain/audit-chain';
import type {
  AuditExportFiles,
  AuditExportManifest,
  ChainLink,
  SignedCheckpoint,
} from '../../modules/audit/domain/audit-verification';
import type { AuditExportSink } from '../../modules/audit/use-cases/export-audit-trail.use-case';

/**
 * The audit export on disk (`edoc-bus audit export`, and the `audit/` folder of every archive
 * set): JSON Lines of entries and chain links, a CSV of the entries, the signed checkpoints and a
 * manifest. One writer and one reader, so that what the archive holds verifies with
 * `edoc-bus audit verify` like any export.
 */
export const AUDIT_EXPORT_FILES = {
  manifest: 'manifest.json',
  entries: 'entries.jsonl',
  csv: 'entries.csv',
  chain: 'chain.jsonl',
  checkpoints: 'checkpoints.json',
};

export function write(stream: Writable, text: string): Promise<void> {
  return new Promise((r) => (stream.write(text) ? r() : stream.once('drain', () => r())));
}

export function closeStream(stream: WriteStream): Promise<void> {
  return new Promise((r, j) => stream.end((e?: Error | null) => (e ? j(e) : r())));
}

function csvCell(value: unknown): string {
  const s = typeof value === 'string' ? value : JSON.stringify(value ?? '');
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Writes an export into `dir` (which must exist); `finish` writes the manifest last. */
export class AuditExportWriter {
  private readonly entries: WriteStream;
  private readonly csv: WriteStream;
  private readonly chain: WriteStream;
  private readonly csvHeader: Promise<void>;

  constructor(private readonly dir: string) {
    this.entries = createWriteStream(join(dir, AUDIT_EXPORT_FILES.entries));
    this.csv = createWriteStream(join(dir, AUDIT_EXPORT_FILES.csv));
    this.chain = createWriteStream(join(dir, AUDIT_EXPORT_FILES.chain));
    this.csvHeader = write(this.csv, 'seq,at,kind,parties,package_id,actor,detail,entry_digest,hash\n');
  }

  sink(progress?: AuditExportSink['progress']): AuditExportSink {
    return {
      entries: async (page: AuditEntry[]) => {
        await this.csvHeader;
        for (const e of page) {
          await write(this.entries, JSON.stringify({ ...e, at: e.at.toISOString() }) + '\n');
          const cells = [e.seq, e.at.toISOString(), e.kind, e.parties.join(' '), e.packageId, e.actor];
          await write(this.csv, [...cells, e.detail, e.entryDigest, e.hash].map(csvCell).join(',') + '\n');
        }
      },
      links: async (page: ChainLink[]) => {
        for (const l of page) await write(this.chain, JSON.stringify(l) + '\n');
      },
      checkpoints: async (all) => {
        writeFileSync(join(this.dir, AUDIT_EXPORT_FILES.checkpoints), JSON.stringify(all, null, 2) + '\n');
      },
      ...(progress ? { progress } : {}),
    };
  }

  async finish(manifest: AuditExportManifest): Promise<void> {
    await this.csvHeader;
    await Promise.all([closeStream(this.entries), closeStream(this.csv), closeStream(this.chain)]);
    writeFileSync(join(this.dir, AUDIT_EXPORT_FILES.manifest), JSON.stringify(manifest, null, 2) + '\n');
  }
}

const withDate = <T extends { at: string }>(x: T) => ({ ...x, at: new Date(x.at) });

/** Reads an export: a directory (CLI, archive sets) or one JSON Lines file (console download). */
export function readAuditExport(path: string): AuditExportFiles {
  if (statSync(path).isFile()) {
    const out: Partial<AuditExportFiles> & { entries: AuditEntry[]; links: ChainLink[] } = {
      entries: [],
      links: [],
    };
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      const { type, ...rest } = JSON.parse(line) as { type: string } & Record<string, unknown>;
      if (type === 'link') out.links.push(rest as unknown as ChainLink);
      else if (type === 'entry') out.entries.push(withDate(rest as unknown as AuditEntry & { at: string }));
      else if (type === 'checkpoints')
        out.checkpoints = (rest['items'] as Array<SignedCheckpoint & { at: string }>).map(withDate);
      else if (type === 'manifest') out.manifest = rest as unknown as AuditExportManifest;
    }
    if (!out.manifest || !out.checkpoints) throw new Error('the file has no manifest: it is cut short');
    return { manifest: out.manifest, entries: out.entries, links: out.links, checkpoints: out.checkpoints };
  }
  const read = (name: string) => readFileSync(join(path, name), 'utf8');
  const lines = (name: string) =>
    read(name)
      .split('\n')
      .filter((l) => l.trim() !== '');
  return {
    manifest: JSON.parse(read(AUDIT_EXPORT_FILES.manifest)) as AuditExportManifest,
    entries: lines(AUDIT_EXPORT_FILES.entries).map((l) =>
      withDate(JSON.parse(l) as AuditEntry & { at: string }),
    ),
    links: lines(AUDIT_EXPORT_FILES.chain).map((l) => JSON.parse(l) as ChainLink),
    checkpoints: (
      JSON.parse(read(AUDIT_EXPORT_FILES.checkpoints)) as Array<SignedCheckpoint & { at: string }>
    ).map(withDate),
  };
}
