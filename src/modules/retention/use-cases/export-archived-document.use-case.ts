import { Injectable } from '@nestjs/common';
import type { AuditEntry } from '../../audit/domain/audit-chain';
import type { AuditExportFiles } from '../../audit/domain/audit-verification';
import { isUuid } from '../../shared/ids';
import { DomainRuleError } from '../../shared/errors';
import { ArchiveStore } from '../archive-store.port';
import { ArchivedDocuments } from '../archived-documents.port';
import type { ArchivedRecords } from '../domain/archive-set';
import { verifyArchiveSet } from './verify-archive-set';

/** Where one document's evidence goes (a directory, for the CLI). */
export interface DocumentEvidenceSink {
  body(bytes: Uint8Array): Promise<void>;
  records(records: ArchivedRecords, rows: Record<string, unknown>[]): Promise<void>;
  /** An audit export of the document's entries with the whole chain segment and checkpoints. */
  audit(files: AuditExportFiles): Promise<void>;
}

/**
 * `edoc-bus archive export --document <busId>`: one archived document's evidence for an auditor,
 * from its month's set alone (verified first): its bytes, its package record with the signature
 * evidence, every copy and transition, its receipts, and the audit entries about it together with
 * the month's whole chain segment and signed checkpoints — which `edoc-bus audit verify` checks
 * like any export (entries the filter left out still count through their digests).
 */
@Injectable()
export class ExportArchivedDocument {
  constructor(
    private readonly archived: ArchivedDocuments,
    private readonly store: ArchiveStore,
  ) {}

  async execute(busId: string, sink: DocumentEvidenceSink): Promise<{ month: string; rows: number }> {
    if (!isUuid(busId)) throw new DomainRuleError('archive-document', '--document takes a bus id (UUID)');
    const [found] = await this.archived.find({ busId });
    if (!found) throw new DomainRuleError('archive-document', `${busId} is not an archived document`);
    const set = await this.store.open(found.archivedIn);
    if (!set)
      throw new DomainRuleError(
        'archive-document',
        `the set of ${found.archivedIn} is not in the archive directory`,
      );
    const verdict = await verifyArchiveSet(set);
    if (!verdict.ok)
      throw new DomainRuleError(
        'archive-set',
        `the set of ${found.archivedIn} does not verify: ${verdict.problems.join('; ')}`,
      );

    let rows = 0;
    const about = (row: Record<string, unknown>) => row['package_id'] === busId || row['id'] === busId;
    for (const records of ['packages', 'deliveries', 'trace-events', 'receipts'] as const) {
      const matching: Record<string, unknown>[] = [];
      for await (const row of set.records(records)) if (about(row)) matching.push(row);
      if (records === 'packages') {
        const body = matching[0]?.['content_sha256'];
        if (typeof body !== 'string') throw new Error(`${busId} is not in the set of ${found.archivedIn}`);
        await sink.body(await set.body(body));
      }
      rows += matching.length;
      await sink.records(records, matching);
    }
    const audit = await set.auditExport();
    const entries: AuditEntry[] = audit.entries.filter((e) => e.packageId === busId);
    await sink.audit({
      manifest: {
        ...audit.manifest,
        filter: { ...audit.manifest.filter, document: busId },
        counts: { ...audit.manifest.counts, entries: entries.length },
      },
      entries,
      links: audit.links,
      checkpoints: audit.checkpoints,
    });
    return { month: found.archivedIn, rows };
  }
}
