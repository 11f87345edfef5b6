import type { AuditExportFiles, AuditExportManifest } from '../audit/domain/audit-verification';
import type { AuditExportSink } from '../audit/use-cases/export-audit-trail.use-case';
import type { ArchiveManifest, ArchivedFile, ArchivedRecords, ManifestSignature } from './domain/archive-set';
import type { Month } from './domain/month';

/** What a finished writer reports, for the manifest. */
export interface WrittenSet {
  records: Record<ArchivedRecords, ArchivedFile & { rows: number }>;
  bodies: { count: number; bytes: number; namesDigest: string };
  audit: ArchivedFile[];
}

/**
 * Writes one month's set. Nothing is visible under the month's name until `commit`: a crash
 * leaves a partial set that the next run discards.
 */
export interface ArchiveWriter {
  /** Stores a package's bytes under their SHA-256 (once however often asked); returns the digest. */
  putBody(bytes: Uint8Array): Promise<string>;
  appendRecords(records: ArchivedRecords, rows: object[]): Promise<void>;
  /** Where the month's audit export is written. */
  auditSink(): AuditExportSink;
  finishAudit(manifest: AuditExportManifest): Promise<void>;
  /** Flushes every file to disk and reports their digests. */
  close(): Promise<WrittenSet>;
  /** Writes the manifest and its signature, then makes the set visible at once (rename). */
  commit(manifest: ArchiveManifest, signature: ManifestSignature): Promise<void>;
  abandon(): Promise<void>;
}

/** What verification reads back from a set. */
export interface ArchiveSetReader {
  readonly location: string;
  manifest(): Promise<{ manifest: ArchiveManifest; signature: ManifestSignature } | null>;
  /** The SHA-256 and size of a file of the set, or null if it is missing. */
  digestOf(name: string): Promise<{ sha256: string; bytes: number } | null>;
  /** The names (digests) of the package bodies present. */
  bodyNames(): Promise<string[]>;
  /** One package's bytes, by its digest. */
  body(name: string): Promise<Uint8Array>;
  records(records: ArchivedRecords): AsyncIterable<Record<string, unknown>>;
  /** The month's audit export, as `edoc-bus audit verify` reads it. */
  auditExport(): Promise<AuditExportFiles>;
}

/** The archive: one set per month, written once, read by verification, restore and export. */
export abstract class ArchiveStore {
  abstract begin(month: Month): Promise<ArchiveWriter>;
  abstract open(month: Month): Promise<ArchiveSetReader | null>;
  abstract months(): Promise<Month[]>;
  /** Deletes a month's set for good (archive purge). */
  abstract remove(month: Month): Promise<void>;
}
