import type { DataSource } from 'typeorm';
import { ArchivedDocuments, type ArchivedDocument } from '../../modules/retention/archived-documents.port';
import { Sql } from './sql';

/** package_register rows whose month is archived (a restored month still answers as archived). */
export class PgArchivedDocuments extends ArchivedDocuments {
  private readonly sql: Sql;

  constructor(db: DataSource) {
    super();
    this.sql = new Sql(db);
  }

  async find(ref: { busId?: string; documentId?: string; sender?: string }): Promise<ArchivedDocument[]> {
    const rows = await this.sql.rows<{
      package_id: string;
      document_id: string;
      sender: string;
      archive_set: string;
    }>(
      `SELECT package_id, document_id, sender, archive_set FROM package_register
        WHERE archive_set IS NOT NULL AND kind = 'edoc'
          AND ($1::uuid IS NULL OR package_id = $1::uuid)
          AND ($2::text IS NULL OR document_id = $2)
          AND ($3::text IS NULL OR sender = $3)
        ORDER BY package_id LIMIT 20`,
      [ref.busId ?? null, ref.documentId ?? null, ref.sender ?? null],
    );
    return rows.map((r) => ({
      busId: r.package_id,
      documentId: r.document_id,
      sender: r.sender,
      archivedIn: r.archive_set,
    }));
  }
}
