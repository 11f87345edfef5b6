import { createHash } from 'node:crypto';
import { canonicalJson } from '../../audit/domain/audit-chain';
import type { Month } from './month';

/** 2: records are gzipped JSON Lines (a month's records shrink 16-fold; 1 had them plain). */
export const ARCHIVE_FORMAT = 'edoc-bus-archive/2';

/**
 * The records of a month, each a gzipped JSON Lines file of the set. Packages' bytes are files of their
 * own, named by their SHA-256 (`packages/<digest>`), which each package line names.
 */
export const ARCHIVED_RECORDS = [
  'packages',
  'deliveries',
  'trace-events',
  'receipts',
  'quarantine',
  'bridge-refusals',
] as const;
export type ArchivedRecords = (typeof ARCHIVED_RECORDS)[number];

/** The audit export of the month (the format of `edoc-bus audit export`) sits in `audit/`. */
export const AUDIT_FOLDER = 'audit';

export interface ArchivedFile {
  /** Path inside the set. */
  name: string;
  sha256: string;
  bytes: number;
}

export interface ArchiveManifest {
  format: typeof ARCHIVE_FORMAT;
  month: Month;
  createdAt: string;
  /** The first and last instant the month covers (UTC). */
  period: { from: string; to: string };
  records: Record<ArchivedRecords, ArchivedFile & { rows: number }>;
  /** Every package's bytes: how many files, their total size, and a digest of their sorted names. */
  bodies: { count: number; bytes: number; namesDigest: string };
  /** The audit export's files (its own manifest, chain, entries, checkpoints). */
  audit: ArchivedFile[];
}

/** What the bus's key signs: the manifest's canonical JSON (keys sorted, no spaces). */
export function manifestBytes(manifest: ArchiveManifest): Buffer {
  return Buffer.from(canonicalJson(manifest), 'utf8');
}

export function manifestDigest(manifest: ArchiveManifest): string {
  return sha256Hex(manifestBytes(manifest));
}

export function sha256Hex(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The digest of a set of body names, independent of the order they were written in. */
export function namesDigest(names: Iterable<string>): string {
  return sha256Hex([...names].sort().join('\n'));
}

export interface ManifestSignature {
  algorithm: string;
  signature: string;
  certificate: string;
}
