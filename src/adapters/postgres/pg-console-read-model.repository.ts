import type { DataSource } from 'typeorm';
import {
  ConsoleReadModel,
  type DeliveryLine,
  type DeliverySearch,
  type DocumentEvidence,
  type EndpointActivity,
  type OperationalFigures,
} from '../../modules/console/console-read-model.port';
import type { SignatureRecord } from '../../modules/trust/signature-record';
import { uuid7Floor, uuid7Time } from '../../modules/shared/ids';
import { InFlightMonths } from './in-flight-months';
import { searchDeliveries } from './pg-delivery-search';
import { Sql } from './sql';

type OverviewFromDatabase = Awaited<ReturnType<ConsoleReadModel['overview']>>;

/** `YYYY-MM` (UTC) of a moment, as archived_month names months. */
function monthKey(unixMs: number): string {
  return new Date(unixMs).toISOString().slice(0, 7);
}

/** A row is written within a moment of its UUIDv7 id (a day allows for a bus's clock being off). */
const ID_MARGIN_MS = 86_400_000;

export class PgConsoleReadModel extends ConsoleReadModel {
  private readonly sql: Sql;
  /** Copies in flight may be in any month; this says from which one on they can be. */
  private readonly inFlight: InFlightMonths;

  constructor(db: DataSource) {
    super();
    this.sql = new Sql(db);
    this.inFlight = new InFlightMonths(this.sql);
  }

  async endpointActivity(): Promise<EndpointActivity[]> {
    // The last package of each sender by a loose scan of the register's (sender, package_id): one
    // index descent per sender that has sent anything, the UUIDv7 key giving the time. (Over the
    // monthly partitions of package the same scan descends every month for every sender; a lateral
    // `WHERE sender = … ORDER BY accepted_at DESC LIMIT 1` per endpoint let the planner walk an
    // index of every package backwards: 57 s on ten million deliveries.) Waiting copies come from
    // the partial index of queued ones.
    const rows = await this.sql.rows<{ organ_id: string; last_package_at: Date | null; waiting: number }>(
      `WITH RECURSIVE last AS (
         (SELECT sender, package_id FROM package_register ORDER BY sender DESC, package_id DESC LIMIT 1)
         UNION ALL
         SELECT n.sender, n.package_id
           FROM last, LATERAL (SELECT r.sender, r.package_id FROM package_register r WHERE r.sender < last.sender
                                ORDER BY r.sender DESC, r.package_id DESC LIMIT 1) n
       )
       SELECT e.organ_id, edoc_uuid7_time(last.package_id) AS last_package_at, coalesce(w.waiting, 0)::int AS waiting
         FROM endpoint e
         LEFT JOIN last ON last.sender = e.organ_id
         LEFT JOIN (SELECT recipient, count(*) AS waiting FROM delivery
                     WHERE state = 'queued' AND package_id >= $1::uuid GROUP BY recipient) w
                ON w.recipient = e.organ_id`,
      [await this.inFlight.lowerBound(Date.now())],
    );
    return rows.map((r) => ({ organId: r.organ_id, lastPackageAt: r.last_package_at, waiting: r.waiting }));
  }

  async overview(now: Date, expiryHorizon: Date): Promise<OverviewFromDatabase> {
    const since = new Date(now.getTime() - 24 * 3_600_000);
    // The day as a bound on the ids (the partition key), computed here so that the planner prunes
    // the other months before planning them. A package's id is made as it is accepted; an accepted
    // or rejected receipt carries the moment of its package or refusal, which is when it is
    // issued (later receipts — overdue, withdrawn, duplicate — are not counted here). A day's
    // margin allows for a bus's clock being a little off.
    const sinceId = uuid7Floor(since.getTime() - ID_MARGIN_MS);
    const inFlightFrom = await this.inFlight.lowerBound(Date.now());
    const [perHour, outcomes, backlog, dead, head, signers, sources] = await Promise.all([
      this.sql.rows<{ hour: Date; documents: number }>(
        `SELECT date_trunc('hour', accepted_at) AS hour, count(*)::int AS documents FROM package
          WHERE kind = 'edoc' AND accepted_at >= $1 AND id >= $2::uuid GROUP BY 1 ORDER BY 1`,
        [since, sinceId],
      ),
      this.sql.rows<{ outcome: string; reason: string | null; count: number }>(
        `SELECT outcome, reason_code AS reason, count(*)::int AS count FROM receipt
          WHERE issued_at >= $1 AND id >= $2::uuid AND outcome IN ('accepted', 'rejected')
          GROUP BY 1, 2 ORDER BY 3 DESC`,
        [since, sinceId],
      ),
      this.sql.rows<{ endpoint: string; waiting: number; oldest: number; overdue: number }>(
        `SELECT recipient AS endpoint, count(*) FILTER (WHERE state = 'queued')::int AS waiting,
                coalesce(extract(epoch FROM $1::timestamptz - min(created_at) FILTER (WHERE state = 'queued')), 0)::float AS oldest,
                count(*) FILTER (WHERE overdue IS NOT NULL AND state IN ('queued', 'delivered', 'arrived'))::int AS overdue
           FROM delivery WHERE state IN ('queued', 'delivered', 'arrived') AND package_id >= $2::uuid
          GROUP BY recipient ORDER BY 2 DESC, 1 LIMIT 100`,
        [now, inFlightFrom],
      ),
      this.sql.one<{ n: number }>(`SELECT count(*)::int AS n FROM dead_letter WHERE redelivered_at IS NULL`),
      this.sql.one<{ seq: string }>(`SELECT seq FROM audit_head`),
      // Signers used in the last 90 days whose organ has no later certificate valid past the horizon.
      this.sql.rows<{ subject: string; organ_id: string | null; not_after: Date; last_seen: Date }>(
        `SELECT c.subject, c.organ_id, c.not_after, c.last_seen FROM signer_certificate c
          WHERE c.not_after < $2 AND c.last_seen > $1::timestamptz - interval '90 days'
            AND NOT EXISTS (SELECT 1 FROM signer_certificate n
                             WHERE n.organ_id = c.organ_id AND n.not_after >= $2)
          ORDER BY c.not_after LIMIT 200`,
        [now, expiryHorizon],
      ),
      this.sql.rows<{
        url: string;
        method: 'ocsp' | 'crl';
        last_success_at: Date | null;
        last_failure_at: Date | null;
        last_error: string | null;
        failures_in_a_row: number;
        certificates: number;
        on_grace: number;
      }>(
        `SELECT s.url, s.method, s.last_success_at, s.last_failure_at, s.last_error, s.failures_in_a_row,
                count(e.fingerprint)::int AS certificates,
                count(e.fingerprint) FILTER (WHERE e.next_update < $1)::int AS on_grace
           FROM revocation_source s LEFT JOIN revocation_evidence e ON e.url = s.url
          GROUP BY s.url ORDER BY s.failures_in_a_row DESC, s.url LIMIT 100`,
        [now],
      ),
    ]);
    return {
      documentsPerHour: perHour,
      outcomes,
      backlog: backlog.map((b) => ({
        endpoint: b.endpoint,
        waiting: b.waiting,
        oldestSeconds: b.oldest,
        overdue: b.overdue,
      })),
      deadLetters: dead?.n ?? 0,
      auditHead: head ? Number(head.seq) : null,
      expiringSigners: signers.map((c) => ({
        source: 'signer' as const,
        subject: c.subject,
        organId: c.organ_id,
        notAfter: c.not_after,
        lastSeen: c.last_seen,
      })),
      revocationSources: sources.map((r) => ({
        url: r.url,
        method: r.method,
        lastSuccessAt: r.last_success_at,
        lastFailureAt: r.last_failure_at,
        lastError: r.last_error,
        failuresInARow: r.failures_in_a_row,
        certificates: r.certificates,
        onGrace: r.on_grace,
      })),
    };
  }

  async evidenceOf(busId: string): Promise<DocumentEvidence> {
    const at = uuid7Time(busId);
    const monthEnd = Date.UTC(new Date(at).getUTCFullYear(), new Date(at).getUTCMonth() + 1, 1);
    type ReceiptRow = {
      id: string;
      recipient: string;
      outcome: string;
      reason_code: string | null;
      issued_at: Date;
    };
    // Receipts about a document are filed in its month (their ids carry its moment): one
    // partition, from the document on. Only a duplicate sent while the month was archived was filed when it came, so a
    // month restored from the archive also reads the months after it.
    const receiptsFrom = (from: string, until: string | null) =>
      this.sql.rows<ReceiptRow>(
        `SELECT id, recipient, outcome, reason_code, issued_at FROM receipt
          WHERE package_id = $1 AND id >= $2::uuid ${until ? 'AND id < $3::uuid' : ''}`,
        until ? [busId, from, until] : [busId, from],
      );
    const [pkg, filed, restored] = await Promise.all([
      this.sql.one<{ signature: SignatureRecord | null }>(`SELECT signature FROM package WHERE id = $1`, [
        busId,
      ]),
      receiptsFrom(uuid7Floor(at), uuid7Floor(monthEnd)),
      this.sql.one<{ n: number }>(`SELECT 1 AS n FROM archived_month WHERE month = $1`, [monthKey(at)]),
    ]);
    const receipts = restored ? filed.concat(await receiptsFrom(uuid7Floor(monthEnd), null)) : filed;
    receipts.sort((a, b) => a.issued_at.getTime() - b.issued_at.getTime() || a.id.localeCompare(b.id));
    return {
      signature: pkg?.signature ?? null,
      receipts: receipts.map((r) => ({
        id: r.id,
        to: r.recipient,
        outcome: r.outcome,
        reason: r.reason_code,
        issuedAt: r.issued_at,
      })),
    };
  }

  searchDeliveries(
    s: DeliverySearch,
    after: string | null,
    limit: number,
  ): Promise<{ lines: DeliveryLine[]; next: string | null }> {
    return searchDeliveries(this.sql, s, after, limit, new Date());
  }

  async senderOf(busId: string): Promise<string | null> {
    const r = await this.sql.one<{ sender: string }>(
      `SELECT sender FROM package WHERE id = $1 AND kind = 'edoc'`,
      [busId],
    );
    return r?.sender ?? null;
  }

  async operationalFigures(now: Date): Promise<OperationalFigures> {
    const [signers, sources, pending, checkpoint] = await Promise.all([
      this.sql.rows<{ subject: string; organ_id: string | null; not_after: Date }>(
        `SELECT subject, organ_id, not_after FROM signer_certificate
          WHERE last_seen > $1::timestamptz - interval '90 days' ORDER BY not_after LIMIT 1000`,
        [now],
      ),
      this.sql.rows<{
        url: string;
        method: 'ocsp' | 'crl';
        failures_in_a_row: number;
        last_success_at: Date | null;
      }>(
        `SELECT url, method, failures_in_a_row, last_success_at FROM revocation_source ORDER BY url LIMIT 1000`,
      ),
      this.sql.one<{ n: number; oldest: number | null }>(
        `SELECT count(*)::int AS n, extract(epoch FROM $1::timestamptz - min(at))::float AS oldest FROM audit_pending`,
        [now],
      ),
      this.sql.one<{ age: number | null }>(
        `SELECT extract(epoch FROM $1::timestamptz - max(at))::float AS age FROM audit_checkpoint`,
        [now],
      ),
    ]);
    return {
      signers: signers.map((c) => ({ subject: c.subject, organId: c.organ_id, notAfter: c.not_after })),
      revocationSources: sources.map((r) => ({
        url: r.url,
        method: r.method,
        failuresInARow: r.failures_in_a_row,
        lastSuccessAt: r.last_success_at,
      })),
      audit: {
        pending: pending?.n ?? 0,
        oldestPendingSeconds: Math.max(0, pending?.oldest ?? 0),
        lastCheckpointAgeSeconds: checkpoint?.age ?? null,
      },
      standbys: await this.standbys(),
    };
  }

  /** pg_stat_replication needs pg_monitor (or superuser): without it, no standby is reported. */
  private async standbys(): Promise<OperationalFigures['standbys']> {
    try {
      const rows = await this.sql.rows<{ name: string; lag: number | null }>(
        `SELECT coalesce(nullif(application_name, ''), client_addr::text, 'standby') AS name,
                extract(epoch FROM replay_lag)::float AS lag
           FROM pg_stat_replication`,
      );
      return rows.map((r) => ({ name: r.name, replayLagSeconds: r.lag }));
    } catch {
      return [];
    }
  }
}
