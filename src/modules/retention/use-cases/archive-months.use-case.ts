import { Injectable } from '@nestjs/common';
import { AuditSigner } from '../../audit/audit-log-repository.port';
import { ExportAuditTrail } from '../../audit/use-cases/export-audit-trail.use-case';
import { Clock } from '../../shared/clock';
import { DomainRuleError } from '../../shared/errors';
import { ArchiveStore, type ArchiveWriter } from '../archive-store.port';
import {
  ARCHIVE_FORMAT,
  ARCHIVED_RECORDS,
  manifestBytes,
  manifestDigest,
  type ArchiveManifest,
} from '../domain/archive-set';
import { addMonths, monthBounds, monthOf, MONTH_PATTERN, type Month } from '../domain/month';
import { MonthRecords, type MonthSnapshot } from '../month-records.port';
import { RetentionSettings } from '../retention-settings';
import { verifyArchiveSet } from './verify-archive-set';

/** Package bodies are read in batches of at most this many bytes. */
const BODY_BATCH_BYTES = 32 * 1024 * 1024;

export interface ArchivedMonthReport {
  month: Month;
  outcome: 'archived' | 'skipped';
  /** Why it was skipped. */
  reason?: string;
  packages?: number;
  bytes?: number;
  location?: string;
  manifestSha256?: string;
}

/**
 * `edoc-bus archive run`: every month older than the hot months (or than `before`) whose copies
 * are all answered is written to the archive as one signed set, verified from its files, and only
 * then detached from the database — in one transaction that first checks nothing of the month
 * changed while it was written. A crash at any point leaves the month in the database (a partial
 * set is discarded and written again) or archived and verified, never half of each.
 */
@Injectable()
export class ArchiveMonths {
  constructor(
    private readonly records: MonthRecords,
    private readonly store: ArchiveStore,
    private readonly exportAudit: ExportAuditTrail,
    private readonly signer: AuditSigner,
    private readonly clock: Clock,
    private readonly settings: RetentionSettings,
  ) {}

  async execute(options: { before: Month | null }): Promise<ArchivedMonthReport[]> {
    if (options.before !== null && !MONTH_PATTERN.test(options.before))
      throw new DomainRuleError('archive-month', `--before takes a month as YYYY-MM, not ${options.before}`);
    const hot = addMonths(monthOf(this.clock.now()), -this.settings.hotMonths + 1);
    const cutoff = options.before !== null && options.before < hot ? options.before : hot;
    const reports: ArchivedMonthReport[] = [];
    for (const month of await this.records.monthsInDatabase()) {
      if (month >= cutoff) break;
      reports.push(await this.archive(month));
    }
    return reports;
  }

  private async archive(month: Month): Promise<ArchivedMonthReport> {
    const unsettled = await this.records.unsettled(month);
    if (unsettled > 0)
      return { month, outcome: 'skipped', reason: `${unsettled} copies or notices still waiting` };
    const writer = await this.store.begin(month);
    let written: { manifest: ArchiveManifest; fingerprint: string };
    try {
      written = await this.records.read(month, (snapshot) => this.write(month, snapshot, writer));
    } catch (error) {
      await writer.abandon();
      throw error;
    }
    const set = await this.store.open(month);
    const verdict = set ? await verifyArchiveSet(set) : null;
    if (!set || !verdict?.ok)
      throw new Error(
        `the set written for ${month} does not verify: ${verdict?.problems.join('; ') ?? 'missing'}`,
      );
    const digest = manifestDigest(written.manifest);
    const retired = await this.records.retire(month, written.fingerprint, {
      month,
      location: set.location,
      manifestSha256: digest,
      packages: written.manifest.records.packages.rows,
      bytes: written.manifest.bodies.bytes,
    });
    if (!retired) return { month, outcome: 'skipped', reason: 'it changed while it was written; run again' };
    return {
      month,
      outcome: 'archived',
      packages: written.manifest.records.packages.rows,
      bytes: written.manifest.bodies.bytes,
      location: set.location,
      manifestSha256: digest,
    };
  }

  private async write(
    month: Month,
    snapshot: MonthSnapshot,
    writer: ArchiveWriter,
  ): Promise<{ manifest: ArchiveManifest; fingerprint: string }> {
    const fingerprint = await snapshot.fingerprint();
    for await (const page of snapshot.pages('packages')) {
      let batch: Record<string, unknown>[] = [];
      let batchBytes = 0;
      const flush = async () => {
        const bodies = await snapshot.bodies(batch.map((p) => String(p['id'])));
        for (const p of batch) {
          const body = bodies.get(String(p['id']));
          if (!body) throw new Error(`package ${String(p['id'])} has no stored content`);
          p['content_sha256'] = await writer.putBody(body);
        }
        await writer.appendRecords('packages', batch);
        batch = [];
        batchBytes = 0;
      };
      for (const p of page) {
        batch.push(p);
        batchBytes += Number(p['size_bytes'] ?? 0);
        if (batchBytes >= BODY_BATCH_BYTES) await flush();
      }
      if (batch.length > 0) await flush();
    }
    for (const records of ARCHIVED_RECORDS) {
      if (records === 'packages') continue;
      for await (const page of snapshot.pages(records)) await writer.appendRecords(records, page);
    }
    const period = monthBounds(month);
    const audit = await this.exportAudit.execute(
      { from: period.from, to: period.to, endpoint: null, document: null },
      writer.auditSink(),
    );
    await writer.finishAudit(audit);
    const files = await writer.close();
    const manifest: ArchiveManifest = {
      format: ARCHIVE_FORMAT,
      month,
      createdAt: this.clock.now().toISOString(),
      period: { from: period.from.toISOString(), to: period.to.toISOString() },
      ...files,
    };
    await writer.commit(manifest, this.signer.sign(manifestBytes(manifest)));
    return { manifest, fingerprint };
  }
}
