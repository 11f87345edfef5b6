import { createHash } from 'node:crypto';

/** An event as recorded, before it is sealed into the chain. */
export interface AuditEvent {
  at: Date;
  kind: string;
  /** Endpoints the event concerns (sender, recipient, the endpoint changed…). */
  parties: string[];
  /** The package (document or status) it concerns, if any. */
  packageId: string | null;
  actor: string;
  detail: Record<string, unknown>;
}

/** A sealed entry: its place in the chain, the digest of its content, and the chain hash. */
export interface AuditEntry extends AuditEvent {
  seq: number;
  /** sha256 of the canonical JSON of the entry (hex). */
  entryDigest: string;
  /** sha256(previous hash ‖ entry digest) (hex). */
  hash: string;
}

/** The chain starts from 32 zero bytes. */
export const GENESIS_HASH = '0'.repeat(64);

/** JSON with object keys sorted at every level: the same value always gives the same bytes. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** What the digest covers: everything an auditor reads about the entry, its place included. */
export function entryDigest(seq: number, event: AuditEvent): string {
  const content = canonicalJson({
    seq,
    at: event.at.toISOString(),
    kind: event.kind,
    parties: event.parties,
    packageId: event.packageId,
    actor: event.actor,
    detail: event.detail,
  });
  return createHash('sha256').update(content, 'utf8').digest('hex');
}

export function chainHash(previousHash: string, digest: string): string {
  return createHash('sha256')
    .update(Buffer.from(previousHash, 'hex'))
    .update(Buffer.from(digest, 'hex'))
    .digest('hex');
}

/** Seals events after the head (`seq`, `hash`): consecutive numbers, each hash over the one before. */
export function seal(head: { seq: number; hash: string }, events: AuditEvent[]): AuditEntry[] {
  let { seq, hash } = head;
  return events.map((event) => {
    seq += 1;
    const digest = entryDigest(seq, event);
    hash = chainHash(hash, digest);
    return { ...event, seq, entryDigest: digest, hash };
  });
}

/** The message a checkpoint signature covers. */
export function checkpointMessage(c: { seq: number; hash: string; at: Date }): Buffer {
  return Buffer.from(
    `edoc-bus audit checkpoint\nseq=${c.seq}\nhash=${c.hash}\nat=${c.at.toISOString()}\n`,
    'utf8',
  );
}
