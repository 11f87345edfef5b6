import type { DataSource } from 'typeorm';
import { ArchivedDocuments, type ArchivedDocument } from '../../modules/retention/archived-documents.port';
import { Sql } from './sql';

/**
 * package_register rows whose month (that of their UUIDv7 id) is in archived_month; a restored
 * month still answers as archived.
 */
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
      archived_in: string;
      recipients: string[] | null;
    }>(
      `SELECT r.package_id, r.document_id, r.sender, a.month AS archived_in, x.recipients
         FROM package_register r JOIN archived_month a ON a.month = edoc_month_key(r.package_id)
         LEFT JOIN archived_recipients x ON x.package_id = r.package_id
        WHERE r.kind = 'edoc' AND a.purged_at IS NULL
          AND ($1::uuid IS NULL OR r.package_id = $1::uuid)
          AND ($2::text IS NULL OR r.document_id = $2)
          AND ($3::text IS NULL OR r.sender = $3)
        ORDER BY r.package_id LIMIT 20`,
      [ref.busId ?? null, ref.documentId ?? null, ref.sender ?? null],
    );
    return rows.map((r) => ({
      busId: r.package_id,
      documentId: r.document_id,
      sender: r.sender,
      recipients: r.recipients ?? [],
      archivedIn: r.archived_in,
    }));
  }
}
