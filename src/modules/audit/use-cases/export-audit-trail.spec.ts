import { Clock } from '../../shared/clock';
import { AuditLogRepository, AuditSigner, type AuditEntryFilter } from '../audit-log-repository.port';
import { GENESIS_HASH, seal, type AuditEntry, type AuditEvent } from '../domain/audit-chain';
import type { ChainLink, SignedCheckpoint } from '../domain/audit-verification';
import { ExportAuditTrail, type AuditExportSink } from './export-audit-trail.use-case';
import { SealAuditLog, SignAuditCheckpoint } from './seal-audit-log.use-case';

const AT = new Date('2026-12-03T08:00:00Z');

class FixedClock extends Clock {
  now(): Date {
    return AT;
  }
}

/** The log as the use case sees it, in memory; `afterCheckpoint` plays another bus process. */
class LogInMemory extends AuditLogRepository {
  readonly sealed: AuditEntry[] = [];
  readonly pending: AuditEvent[] = [];
  readonly signed: SignedCheckpoint[] = [];
  afterCheckpoint: (() => void) | null = null;

  record(kind: string): void {
    this.pending.push({ at: AT, kind, parties: [], packageId: null, actor: 'bus', detail: {} });
  }
  sealNow(): void {
    const head = this.sealed.at(-1) ?? { seq: 0, hash: GENESIS_HASH };
    this.sealed.push(...seal(head, this.pending.splice(0)));
  }
  async sealPending(): Promise<number> {
    const n = this.pending.length;
    this.sealNow();
    return n;
  }
  async head() {
    return this.sealed.at(-1) ?? null;
  }
  async lastCheckpoint() {
    return this.signed.at(-1) ?? null;
  }
  async addCheckpoint(c: SignedCheckpoint) {
    this.signed.push(c);
    const hook = this.afterCheckpoint;
    this.afterCheckpoint = null;
    hook?.();
  }
  async seqRange(from: Date, to: Date, maxSeq: number) {
    const seqs = this.sealed.filter((e) => e.at >= from && e.at < to && e.seq <= maxSeq).map((e) => e.seq);
    return seqs.length ? { first: seqs[0]!, last: seqs.at(-1)! } : null;
  }
  async checkpointFrom(seq: number) {
    return this.signed.find((c) => c.seq >= seq) ?? null;
  }
  async checkpoints(fromSeq: number, toSeq: number) {
    return this.signed.filter((c) => c.seq >= fromSeq && c.seq <= toSeq);
  }
  async hashAt(seq: number) {
    return seq === 0 ? GENESIS_HASH : (this.sealed[seq - 1]?.hash ?? null);
  }
  async *links(fromSeq: number, toSeq: number): AsyncIterable<ChainLink[]> {
    yield this.sealed
      .slice(fromSeq - 1, toSeq)
      .map(({ seq, entryDigest, hash }) => ({ seq, entryDigest, hash }));
  }
  async *entries(f: AuditEntryFilter): AsyncIterable<AuditEntry[]> {
    yield this.sealed.slice(f.fromSeq - 1, f.toSeq);
  }
}

const signer: AuditSigner = { sign: () => ({ algorithm: 'test', signature: 'sig', certificate: 'cert' }) };

function collect() {
  const out = { entries: [] as number[], links: [] as number[], checkpoints: [] as number[] };
  const sink: AuditExportSink = {
    entries: async (page) => void out.entries.push(...page.map((e) => e.seq)),
    links: async (page) => void out.links.push(...page.map((l) => l.seq)),
    checkpoints: async (all) => void out.checkpoints.push(...all.map((c) => c.seq)),
  };
  return { out, sink };
}

describe('ExportAuditTrail', () => {
  const clock = new FixedClock();
  const query = {
    from: new Date(AT.getTime() - 60_000),
    to: new Date(AT.getTime() + 60_000),
    endpoint: null,
    document: null,
  };
  let log: LogInMemory;
  let exporter: ExportAuditTrail;
  beforeEach(() => {
    log = new LogInMemory();
    exporter = new ExportAuditTrail(
      log,
      new SealAuditLog(log),
      new SignAuditCheckpoint(log, signer, clock),
      clock,
    );
  });

  it('seals and signs what is pending, then exports the period up to that signature', async () => {
    log.record('a');
    log.record('b');
    const { out, sink } = collect();
    const manifest = await exporter.execute(query, sink);
    expect(out).toEqual({ entries: [1, 2], links: [1, 2], checkpoints: [2] });
    expect(manifest).toMatchObject({ firstSeq: 1, lastSeq: 2, startHash: GENESIS_HASH });
  });

  // Another bus process can seal an entry of the same period between the signature and the range
  // query: the export used to fail with "no signed checkpoint covers this period yet".
  it('ends at the newest signature when another process seals entries right after it', async () => {
    log.record('a');
    log.record('b');
    log.afterCheckpoint = () => {
      log.record('late');
      log.sealNow();
    };
    const first = collect();
    const manifest = await exporter.execute(query, first.sink);
    expect(first.out).toEqual({ entries: [1, 2], links: [1, 2], checkpoints: [2] });
    expect(manifest.lastSeq).toBe(2);

    const next = collect();
    await exporter.execute(query, next.sink);
    expect(next.out.entries).toEqual([1, 2, 3]); // the late entry, once signed
    expect(next.out.checkpoints).toEqual([2, 3]);
  });
});
