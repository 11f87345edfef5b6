import type { DataSource } from 'typeorm';
import { BridgeRefusals, type BridgeRefusalRecord } from '../../modules/bridge/bridge-calls.port';
import { Sql } from './sql';

export class PgBridgeRefusals extends BridgeRefusals {
  private readonly sql: Sql;

  constructor(db: DataSource) {
    super();
    this.sql = new Sql(db);
  }

  async record(r: BridgeRefusalRecord): Promise<void> {
    await this.sql.exec(
      `INSERT INTO bridge_refusal (at, transport, operation, claimed, code, reason, remote)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [
        r.at,
        r.transport,
        r.operation,
        r.claimed?.slice(0, 200) ?? null,
        r.code,
        r.reason.slice(0, 1000),
        r.remote,
      ],
    );
  }
}
