import type { DataSource } from 'typeorm';
import { AuditLogRepository, type AuditEntryFilter } from '../../modules/audit/audit-log-repository.port';
import { GENESIS_HASH, type AuditEntry, type AuditEvent } from '../../modules/audit/domain/audit-chain';
import type { ChainLink, SignedCheckpoint } from '../../modules/audit/domain/audit-verification';
import { Sql } from './sql';

const PAGE = 2000;

interface EventRow {
  at: Date;
  kind: string;
  parties: string[];
  package_id: string | null;
  actor: string;
  detail: Record<string, unknown>;
}

interface EntryRow extends EventRow {
  seq: string;
  entry_digest: Buffer;
  hash: Buffer;
}

interface CheckpointRow {
  seq: string;
  hash: Buffer;
  at: Date;
  algorithm: string;
  signature: Buffer;
  certificate: string;
}

const toCheckpoint = (r: CheckpointRow): SignedCheckpoint => ({
  seq: Number(r.seq),
  hash: r.hash.toString('hex'),
  at: r.at,
  algorithm: r.algorithm,
  signature: r.signature.toString('base64'),
  certificate: r.certificate,
});

function monthBounds(at: Date): { name: string; from: string; to: string } {
  const y = at.getUTCFullYear();
  const m = at.getUTCMonth();
  const from = new Date(Date.UTC(y, m, 1)).toISOString();
  const to = new Date(Date.UTC(y, m + 1, 1)).toISOString();
  return { name: `audit_log_${y}_${String(m + 1).padStart(2, '0')}`, from, to };
}

/** The audit log in PostgreSQL: sealed by one process at a time (an advisory lock), partitioned by month. */
export class PgAuditLog extends AuditLogRepository {
  private readonly sql: Sql;
  private readonly partitions = new Set<string>();

  constructor(private readonly db: DataSource) {
    super();
    this.sql = new Sql(db);
  }

  async sealPending(
    limit: number,
    seal: (head: { seq: number; hash: string }, events: AuditEvent[]) => AuditEntry[],
  ): Promise<number> {
    return this.db.transaction(async (m) => {
      const sql = new Sql(m);
      const [lock] = await sql.rows<{ locked: boolean }>(
        `SELECT pg_try_advisory_xact_lock(hashtext('edoc-bus audit sealer')) AS locked`,
      );
      if (!lock?.locked) return 0;
      const pending = await sql.rows<EventRow & { id: string }>(
        `SELECT id, at, kind, parties, package_id, actor, detail FROM audit_pending ORDER BY id LIMIT $1`,
        [limit],
      );
      if (pending.length === 0) return 0;
      const head = await sql.one<{ seq: string; hash: Buffer }>(
        `SELECT seq, hash FROM audit_head FOR UPDATE`,
      );
      const sealed = seal(
        head ? { seq: Number(head.seq), hash: head.hash.toString('hex') } : { seq: 0, hash: GENESIS_HASH },
        pending.map((p) => ({
          at: p.at,
          kind: p.kind,
          parties: p.parties,
          packageId: p.package_id,
          actor: p.actor,
          detail: p.detail,
        })),
      );
      for (const month of new Set(sealed.map((e) => monthBounds(e.at).name))) {
        if (this.partitions.has(month)) continue;
        const b = monthBounds(sealed.find((e) => monthBounds(e.at).name === month)!.at);
        await sql.exec(
          `CREATE TABLE IF NOT EXISTS ${b.name} PARTITION OF audit_log FOR VALUES FROM ('${b.from}') TO ('${b.to}')`,
        );
        this.partitions.add(month);
      }
      await sql.exec(
        `INSERT INTO audit_log (seq, at, kind, parties, package_id, actor, detail, entry_digest, hash, sealed_at)
         SELECT s, a, k, coalesce((SELECT array_agg(x) FROM jsonb_array_elements_text(p) x), '{}'), d, ac, dt, decode(ed, 'hex'), decode(h, 'hex'), now()
           FROM unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::jsonb[], $5::uuid[], $6::text[], $7::jsonb[], $8::text[], $9::text[])
             AS t(s, a, k, p, d, ac, dt, ed, h)`,
        [
          sealed.map((e) => e.seq),
          sealed.map((e) => e.at),
          sealed.map((e) => e.kind),
          sealed.map((e) => JSON.stringify(e.parties)),
          sealed.map((e) => e.packageId),
          sealed.map((e) => e.actor),
          sealed.map((e) => JSON.stringify(e.detail)),
          sealed.map((e) => e.entryDigest),
          sealed.map((e) => e.hash),
        ],
      );
      await sql.exec(`DELETE FROM audit_pending WHERE id = ANY($1::bigint[])`, [pending.map((p) => p.id)]);
      const last = sealed[sealed.length - 1]!;
      await sql.exec(
        `INSERT INTO audit_head (id, seq, hash) VALUES (true, $1, decode($2, 'hex'))
         ON CONFLICT (id) DO UPDATE SET seq = EXCLUDED.seq, hash = EXCLUDED.hash`,
        [last.seq, last.hash],
      );
      return sealed.length;
    });
  }

  async head(): Promise<{ seq: number; hash: string } | null> {
    const row = await this.sql.one<{ seq: string; hash: Buffer }>(`SELECT seq, hash FROM audit_head`);
    return row ? { seq: Number(row.seq), hash: row.hash.toString('hex') } : null;
  }

  async lastCheckpoint(): Promise<SignedCheckpoint | null> {
    const row = await this.sql.one<CheckpointRow>(`SELECT * FROM audit_checkpoint ORDER BY seq DESC LIMIT 1`);
    return row ? toCheckpoint(row) : null;
  }

  async addCheckpoint(c: SignedCheckpoint): Promise<void> {
    await this.sql.exec(
      `INSERT INTO audit_checkpoint (seq, hash, at, algorithm, signature, certificate)
       VALUES ($1, decode($2, 'hex'), $3, $4, decode($5, 'base64'), $6) ON CONFLICT (seq) DO NOTHING`,
      [c.seq, c.hash, c.at, c.algorithm, c.signature, c.certificate],
    );
  }

  async seqRange(from: Date, to: Date, maxSeq: number): Promise<{ first: number; last: number } | null> {
    const row = await this.sql.one<{ first: string | null; last: string | null }>(
      `SELECT min(seq) AS first, max(seq) AS last FROM audit_log WHERE at >= $1 AND at < $2 AND seq <= $3`,
      [from, to, maxSeq],
    );
    return row?.first && row.last ? { first: Number(row.first), last: Number(row.last) } : null;
  }

  async checkpointFrom(seq: number): Promise<SignedCheckpoint | null> {
    const row = await this.sql.one<CheckpointRow>(
      `SELECT * FROM audit_checkpoint WHERE seq >= $1 ORDER BY seq LIMIT 1`,
      [seq],
    );
    return row ? toCheckpoint(row) : null;
  }

  async checkpoints(fromSeq: number, toSeq: number): Promise<SignedCheckpoint[]> {
    const rows = await this.sql.rows<CheckpointRow>(
      `SELECT * FROM audit_checkpoint WHERE seq BETWEEN $1 AND $2 ORDER BY seq`,
      [fromSeq, toSeq],
    );
    return rows.map(toCheckpoint);
  }

  async hashAt(seq: number): Promise<string | null> {
    if (seq === 0) return GENESIS_HASH;
    const row = await this.sql.one<{ hash: Buffer }>(`SELECT hash FROM audit_log WHERE seq = $1`, [seq]);
    return row ? row.hash.toString('hex') : null;
  }

  async *links(fromSeq: number, toSeq: number): AsyncIterable<ChainLink[]> {
    for (let start = fromSeq; start <= toSeq; start += PAGE) {
      const rows = await this.sql.rows<{ seq: string; entry_digest: Buffer; hash: Buffer }>(
        `SELECT seq, entry_digest, hash FROM audit_log WHERE seq BETWEEN $1 AND $2 ORDER BY seq`,
        [start, Math.min(toSeq, start + PAGE - 1)],
      );
      yield rows.map((r) => ({
        seq: Number(r.seq),
        entryDigest: r.entry_digest.toString('hex'),
        hash: r.hash.toString('hex'),
      }));
    }
  }

  async *entries(f: AuditEntryFilter): AsyncIterable<AuditEntry[]> {
    let after = f.fromSeq - 1;
    for (;;) {
      const rows = await this.sql.rows<EntryRow>(
        `SELECT seq, at, kind, parties, package_id, actor, detail, entry_digest, hash FROM audit_log
          WHERE seq > $1 AND seq <= $2 AND at >= $3 AND at < $4
            AND ($5::text IS NULL OR parties @> ARRAY[$5::text])
            AND ($6::uuid IS NULL OR package_id = $6::uuid)
          ORDER BY seq LIMIT $7`,
        [after, f.toSeq, f.from, f.to, f.endpoint, f.packageId, PAGE],
      );
      if (rows.length === 0) return;
      yield rows.map((r) => ({
        seq: Number(r.seq),
        at: r.at,
        kind: r.kind,
        parties: r.parties,
        packageId: r.package_id,
        actor: r.actor,
        detail: r.detail,
        entryDigest: r.entry_digest.toString('hex'),
        hash: r.hash.toString('hex'),
      }));
      after = Number(rows[rows.length - 1]!.seq);
    }
  }
}
