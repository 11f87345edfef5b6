import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AuditExportFiles } from '../../modules/audit/domain/audit-verification';
import type { ArchivedRecords } from '../../modules/retention/domain/archive-set';
import type { DocumentEvidenceSink } from '../../modules/retention/use-cases/export-archived-document.use-case';
import { AuditExportWriter } from './audit-export-files';

/**
 * One document's evidence as a directory: `package.xml` (its bytes as received), a JSON Lines
 * file per kind of record, and `audit/` (verifiable with `edoc-bus audit verify DIR/audit`).
 */
export class DocumentEvidenceDirectory implements DocumentEvidenceSink {
  constructor(private readonly dir: string) {
    mkdirSync(join(dir, 'audit'), { recursive: true });
  }

  async body(bytes: Uint8Array): Promise<void> {
    writeFileSync(join(this.dir, 'package.xml'), bytes);
  }

  async records(records: ArchivedRecords, rows: Record<string, unknown>[]): Promise<void> {
    writeFileSync(join(this.dir, `${records}.jsonl`), rows.map((r) => JSON.stringify(r) + '\n').join(''));
  }

  async audit(files: AuditExportFiles): Promise<void> {
    const writer = new AuditExportWriter(join(this.dir, 'audit'));
    const sink = writer.sink();
    await sink.entries(files.entries);
    await sink.links(files.links);
    await sink.checkpoints(files.checkpoints);
    await writer.finish(files.manifest);
  }
}
