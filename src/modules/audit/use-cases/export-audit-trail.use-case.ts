import { Injectable } from '@nestjs/common';
import { canonicalOrganCode } from '../../registry/domain/organ-code';
import { Clock } from '../../shared/clock';
import { isUuid } from '../../shared/ids';
import { DomainRuleError } from '../../shared/errors';
import { AuditLogRepository } from '../audit-log-repository.port';
import type { AuditEntry } from '../domain/audit-chain';
import type { AuditExportManifest, ChainLink, SignedCheckpoint } from '../domain/audit-verification';
import { SealAuditLog, SignAuditCheckpoint } from './seal-audit-log.use-case';

export interface AuditExportQuery {
  from: Date;
  to: Date;
  endpoint: string | null;
  /** A package's bus id. */
  document: string | null;
}

/** Where an export goes (files, a download): written in order, a page at a time. */
export interface AuditExportSink {
  entries(page: AuditEntry[]): Promise<void>;
  links(page: ChainLink[]): Promise<void>;
  checkpoints(all: SignedCheckpoint[]): Promise<void>;
  /** Progress: entries and links written so far, of about how many links in all. */
  progress?(written: number, total: number): void;
}

/**
 * Exports the audit trail for a period (optionally one endpoint or one document): the matching
 * entries, and the whole chain segment from the first of them to the signed checkpoint after the
 * last, so the auditor can verify offline that nothing was altered, removed or reordered —
 * including entries the filter left out, through their digests.
 */
@Injectable()
export class ExportAuditTrail {
  constructor(
    private readonly log: AuditLogRepository,
    private readonly sealer: SealAuditLog,
    private readonly checkpoint: SignAuditCheckpoint,
    private readonly clock: Clock,
  ) {}

  async execute(query: AuditExportQuery, sink: AuditExportSink): Promise<AuditExportManifest> {
    if (!(query.from < query.to)) throw new DomainRuleError('audit-range', '--from must be before --to');
    const endpoint = query.endpoint ? (canonicalOrganCode(query.endpoint) ?? query.endpoint) : null;
    if (query.document !== null && !isUuid(query.document))
      throw new DomainRuleError('audit-document', '--document takes a bus id (UUID)');
    // Everything recorded so far is in the chain and under a signature before it is exported.
    await this.sealer.execute();
    await this.checkpoint.execute();
    // The export ends at the newest signature: another bus process may seal entries of the same
    // period after it, and those are not yet signed, so they wait for the next export.
    const signedUpTo = (await this.log.lastCheckpoint())?.seq ?? 0;

    const range = await this.log.seqRange(query.from, query.to, signedUpTo);
    const manifest: AuditExportManifest = {
      format: 'edoc-bus-audit-export/1',
      createdAt: this.clock.now().toISOString(),
      filter: {
        from: query.from.toISOString(),
        to: query.to.toISOString(),
        endpoint,
        document: query.document,
      },
      startHash: '',
      firstSeq: 0,
      lastSeq: 0,
      counts: { entries: 0, links: 0, checkpoints: 0 },
    };
    if (!range) {
      await sink.checkpoints([]);
      return manifest;
    }
    const closing = await this.log.checkpointFrom(range.last);
    // Cannot happen while checkpoints are only added (range.last ≤ signedUpTo); kept as a guard.
    if (!closing) throw new DomainRuleError('audit-unsigned', 'no signed checkpoint covers this period yet');
    manifest.firstSeq = range.first;
    manifest.lastSeq = closing.seq;
    manifest.startHash = (await this.log.hashAt(range.first - 1)) ?? '';
    const total = closing.seq - range.first + 1;
    for await (const page of this.log.links(range.first, closing.seq)) {
      await sink.links(page);
      manifest.counts.links += page.length;
      sink.progress?.(manifest.counts.links, total);
    }
    for await (const page of this.log.entries({
      fromSeq: range.first,
      toSeq: range.last,
      from: query.from,
      to: query.to,
      endpoint,
      packageId: query.document,
    })) {
      await sink.entries(page);
      manifest.counts.entries += page.length;
    }
    const checkpoints = await this.log.checkpoints(range.first, closing.seq);
    await sink.checkpoints(checkpoints);
    manifest.counts.checkpoints = checkpoints.length;
    return manifest;
  }
}
