import { chainHash, checkpointMessage, entryDigest, type AuditEntry } from './audit-chain';
import { verify as verifySignature, X509Certificate } from 'node:crypto';

/** One link of the chain segment in an export: enough to recompute the chain without the content. */
export interface ChainLink {
  seq: number;
  entryDigest: string;
  hash: string;
}

export interface SignedCheckpoint {
  seq: number;
  hash: string;
  at: Date;
  algorithm: string;
  signature: string;
  certificate: string;
}

export interface AuditExportManifest {
  format: 'edoc-bus-audit-export/1';
  createdAt: string;
  filter: { from: string; to: string; endpoint: string | null; document: string | null };
  /** The hash before the first link (the chain is checked from there). */
  startHash: string;
  firstSeq: number;
  lastSeq: number;
  counts: { entries: number; links: number; checkpoints: number };
}

/** An export as read back: what `verifyAuditExport` checks. */
export interface AuditExportFiles {
  manifest: AuditExportManifest;
  entries: AuditEntry[];
  links: ChainLink[];
  checkpoints: SignedCheckpoint[];
}

export interface VerificationResult {
  ok: boolean;
  /** Problems in the order found; the first names the first altered, missing or reordered record. */
  problems: string[];
  entriesChecked: number;
  linksChecked: number;
  checkpointsChecked: number;
}

/**
 * Checks an audit export offline: every exported entry matches its link's digest; every link's
 * hash follows from the one before (from the manifest's start hash); the links are consecutive;
 * the counts match the manifest; and the signed checkpoints cover the chain.
 */
export function verifyAuditExport(
  manifest: AuditExportManifest,
  entries: AuditEntry[],
  links: ChainLink[],
  checkpoints: SignedCheckpoint[],
  signatureValid: (checkpoint: SignedCheckpoint) => boolean,
): VerificationResult {
  const problems: string[] = [];
  if (links.length !== manifest.counts.links)
    problems.push(`the chain segment has ${links.length} links, the manifest says ${manifest.counts.links}`);
  if (entries.length !== manifest.counts.entries)
    problems.push(`the export has ${entries.length} entries, the manifest says ${manifest.counts.entries}`);

  const bySeq = new Map<number, ChainLink>();
  let previous = manifest.startHash;
  let expectedSeq = manifest.firstSeq;
  for (const link of links) {
    if (link.seq !== expectedSeq) {
      const later = links.some((l) => l.seq === expectedSeq);
      problems.push(
        later
          ? `chain record ${expectedSeq} is out of order (found ${link.seq} in its place)`
          : `chain record ${expectedSeq} is missing (the next is ${link.seq})`,
      );
      break;
    }
    if (chainHash(previous, link.entryDigest) !== link.hash) {
      problems.push(`chain record ${link.seq} was altered: its hash does not follow from the one before`);
      break;
    }
    bySeq.set(link.seq, link);
    previous = link.hash;
    expectedSeq += 1;
  }
  if (problems.length === 0 && expectedSeq - 1 !== manifest.lastSeq)
    problems.push(`the chain ends at ${expectedSeq - 1}, the manifest says ${manifest.lastSeq}`);

  let lastEntrySeq = 0;
  for (const entry of entries) {
    if (entry.seq <= lastEntrySeq) {
      problems.push(`entry ${entry.seq} is out of order (after ${lastEntrySeq})`);
      break;
    }
    lastEntrySeq = entry.seq;
    const link = bySeq.get(entry.seq);
    if (!link) {
      problems.push(`entry ${entry.seq} is not in the chain segment`);
      break;
    }
    if (entryDigest(entry.seq, entry) !== link.entryDigest) {
      problems.push(`entry ${entry.seq} was altered: its content does not match the chain`);
      break;
    }
  }

  let checkpointsChecked = 0;
  for (const c of checkpoints) {
    const link = bySeq.get(c.seq);
    if (!link) continue;
    if (link.hash !== c.hash) problems.push(`checkpoint ${c.seq} does not match the chain`);
    else if (!signatureValid(c)) problems.push(`checkpoint ${c.seq} has an invalid signature`);
    else checkpointsChecked++;
  }
  if (checkpointsChecked === 0) problems.push('no valid signed checkpoint covers the exported chain segment');
  else {
    // A reduce, not Math.max(...): ten years of checkpoints would overflow the call stack.
    const last = checkpoints.reduce((m, c) => (bySeq.has(c.seq) && c.seq > m ? c.seq : m), -Infinity);
    if (last !== manifest.lastSeq)
      problems.push(`the segment ends at ${manifest.lastSeq} but its last signed checkpoint is at ${last}`);
  }
  return {
    ok: problems.length === 0,
    problems,
    entriesChecked: entries.length,
    linksChecked: bySeq.size,
    checkpointsChecked,
  };
}

/** A checkpoint's signature checked against the certificate it carries (compare that with the bus's). */
export function checkpointSignatureValid(c: SignedCheckpoint): boolean {
  try {
    const cert = new X509Certificate(c.certificate);
    return verifySignature(
      'sha256',
      checkpointMessage(c),
      cert.publicKey,
      Buffer.from(c.signature, 'base64'),
    );
  } catch {
    return false;
  }
}
