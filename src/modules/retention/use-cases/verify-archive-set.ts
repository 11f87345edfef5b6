import { verify as verifySignature, X509Certificate } from 'node:crypto';
import { checkpointSignatureValid, verifyAuditExport } from '../../audit/domain/audit-verification';
import type { ArchiveSetReader } from '../archive-store.port';
import {
  ARCHIVE_FORMAT,
  ARCHIVED_RECORDS,
  manifestBytes,
  namesDigest,
  type ManifestSignature,
} from '../domain/archive-set';

export interface ArchiveVerification {
  ok: boolean;
  /** In the order found; empty when ok. */
  problems: string[];
  month: string | null;
  packages: number;
  rows: number;
  auditEntries: number;
  /** The certificate subject that signed the manifest (compare it with the bus's). */
  signedBy: string | null;
}

function signatureValid(message: Buffer, s: ManifestSignature): string | null {
  try {
    const cert = new X509Certificate(s.certificate);
    const ok = verifySignature('sha256', message, cert.publicKey, Buffer.from(s.signature, 'base64'));
    return ok ? cert.subject.replace(/\n/g, ', ') : null;
  } catch {
    return null;
  }
}

/**
 * Checks an archive set with nothing but its files: the manifest's signature; every records file
 * and audit file against the digest and size the manifest gives; every package body against its
 * name (its SHA-256), their count, size and names against the manifest; every package line names
 * a body that is there; the audit export's chain, entries and checkpoint signatures.
 */
export async function verifyArchiveSet(set: ArchiveSetReader): Promise<ArchiveVerification> {
  const result: ArchiveVerification = {
    ok: false,
    problems: [],
    month: null,
    packages: 0,
    rows: 0,
    auditEntries: 0,
    signedBy: null,
  };
  const problems = result.problems;
  const signed = await set.manifest();
  if (!signed) {
    problems.push(`${set.location}: no manifest (manifest.json and manifest.sig.json)`);
    return result;
  }
  const { manifest, signature } = signed;
  result.month = manifest.month;
  if (manifest.format !== ARCHIVE_FORMAT) problems.push(`unknown format ${String(manifest.format)}`);
  result.signedBy = signatureValid(manifestBytes(manifest), signature);
  if (!result.signedBy) problems.push('the manifest signature does not verify: the manifest was altered');

  for (const name of ARCHIVED_RECORDS) {
    const expected = manifest.records[name];
    const actual = await set.digestOf(expected.name);
    if (!actual) problems.push(`${expected.name} is missing`);
    else if (actual.sha256 !== expected.sha256 || actual.bytes !== expected.bytes)
      problems.push(`${expected.name} was altered (its SHA-256 is not the manifest's)`);
    result.rows += expected.rows;
  }
  for (const file of manifest.audit) {
    const actual = await set.digestOf(file.name);
    if (!actual) problems.push(`${file.name} is missing`);
    else if (actual.sha256 !== file.sha256 || actual.bytes !== file.bytes)
      problems.push(`${file.name} was altered (its SHA-256 is not the manifest's)`);
  }

  const names = await set.bodyNames();
  let bytes = 0;
  for (const name of names) {
    const actual = await set.digestOf(`packages/${name}`);
    if (!actual || actual.sha256 !== name) problems.push(`package body ${name} was altered`);
    bytes += actual?.bytes ?? 0;
  }
  if (names.length !== manifest.bodies.count || bytes !== manifest.bodies.bytes)
    problems.push(
      `${names.length} package bodies of ${bytes} bytes, the manifest says ${manifest.bodies.count} of ${manifest.bodies.bytes}`,
    );
  else if (namesDigest(names) !== manifest.bodies.namesDigest)
    problems.push('the package bodies are not the ones the manifest lists');
  const present = new Set(names);
  try {
    for await (const row of set.records('packages')) {
      result.packages += 1;
      const body = row['content_sha256'];
      if (typeof body !== 'string' || !present.has(body))
        problems.push(`package ${String(row['id'])} has no body in the set`);
    }
  } catch (error) {
    // An altered file may no longer parse: that is a finding, not a crash of the verifier.
    problems.push(`records/packages.jsonl cannot be read: ${String(error)}`);
  }
  if (result.packages !== manifest.records.packages.rows)
    problems.push(`${result.packages} packages, the manifest says ${manifest.records.packages.rows}`);

  let audit;
  try {
    audit = await set.auditExport();
  } catch (error) {
    problems.push(`audit: the export cannot be read: ${String(error)}`);
    return result;
  }
  if (audit.manifest.counts.links === 0) {
    // A month without events has no chain segment to prove; a month with records must have one.
    if (result.rows > 0) problems.push('audit: the month has records but its audit export has no entries');
    result.ok = problems.length === 0;
    return result;
  }
  const chain = verifyAuditExport(
    audit.manifest,
    audit.entries,
    audit.links,
    audit.checkpoints,
    checkpointSignatureValid,
  );
  result.auditEntries = chain.entriesChecked;
  problems.push(...chain.problems.map((p) => `audit: ${p}`));
  result.ok = problems.length === 0;
  return result;
}
