import { Injectable } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import type {
  BridgeAuth,
  Endpoint,
  EndpointStatus,
  OrganAlias,
  Transport,
} from '../../modules/registry/domain/endpoint';
import type { OrganCategory } from '../../modules/registry/domain/organ-code';
import type { SignaturePolicy } from '../../modules/trust/policy/signature-policy';
import { EndpointRepository, type EndpointChange } from '../../modules/registry/endpoint-repository.port';
import { EndpointChangeEntity, EndpointEntity, OrganAliasEntity } from './entities';

@Injectable()
export class PgEndpointRepository extends EndpointRepository {
  constructor(private readonly db: DataSource) {
    super();
  }

  async findAll(): Promise<Endpoint[]> {
    const rows = await this.db.getRepository(EndpointEntity).find({ order: { organId: 'ASC' } });
    return rows.map(toEndpoint);
  }

  async findOne(organId: string): Promise<Endpoint | null> {
    const row = await this.db.getRepository(EndpointEntity).findOneBy({ organId });
    return row ? toEndpoint(row) : null;
  }

  async insertMissing(endpoints: Endpoint[]): Promise<number> {
    if (endpoints.length === 0) return 0;
    const result = await this.db
      .createQueryBuilder()
      .insert()
      .into(EndpointEntity)
      .values(endpoints.map(fromEndpoint))
      .orIgnore()
      .returning(['organId'])
      .execute();
    return (result.raw as unknown[]).length;
  }

  async save(endpoint: Endpoint, change: EndpointChange): Promise<void> {
    await this.db.transaction(async (m) => {
      await m
        .getRepository(EndpointEntity)
        .upsert({ ...fromEndpoint(endpoint), updatedAt: change.at }, ['organId']);
      await m.getRepository(EndpointChangeEntity).insert(change);
    });
  }

  async setStatus(
    organId: string,
    status: EndpointStatus,
    reason: string | null,
    change: EndpointChange,
  ): Promise<void> {
    await this.db.transaction(async (m) => {
      await m
        .getRepository(EndpointEntity)
        .update({ organId }, { status, statusReason: reason, updatedAt: change.at });
      await m.getRepository(EndpointChangeEntity).insert(change);
    });
  }

  async setSignaturePolicy(organId: string, policy: SignaturePolicy, change: EndpointChange): Promise<void> {
    await this.db.transaction(async (m) => {
      await m
        .getRepository(EndpointEntity)
        .update({ organId }, { signaturePolicy: policy, updatedAt: change.at });
      await m.getRepository(EndpointChangeEntity).insert(change);
    });
  }

  async setBridgeAuth(organId: string, mode: BridgeAuth, change: EndpointChange): Promise<void> {
    await this.db.transaction(async (m) => {
      await m.getRepository(EndpointEntity).update({ organId }, { bridgeAuth: mode, updatedAt: change.at });
      await m.getRepository(EndpointChangeEntity).insert(change);
    });
  }

  async setTransport(organId: string, transport: Transport, change: EndpointChange): Promise<void> {
    await this.db.transaction(async (m) => {
      await m.getRepository(EndpointEntity).update({ organId }, { transport, updatedAt: change.at });
      await m.getRepository(EndpointChangeEntity).insert(change);
    });
  }

  async markProvisioned(organId: string, brokerUser: string, change: EndpointChange): Promise<void> {
    await this.db.transaction(async (m) => {
      await m
        .getRepository(EndpointEntity)
        .update({ organId }, { brokerUser, provisionedAt: change.at, updatedAt: change.at });
      await m.getRepository(EndpointChangeEntity).insert(change);
    });
  }

  async findAllAliases(): Promise<OrganAlias[]> {
    const rows = await this.db.getRepository(OrganAliasEntity).find({ order: { closedCode: 'ASC' } });
    return rows.map((r) => ({ ...r }));
  }

  async insertMissingAliases(aliases: OrganAlias[]): Promise<number> {
    if (aliases.length === 0) return 0;
    const known = new Set(
      (
        await this.db
          .getRepository(EndpointEntity)
          .findBy({ organId: In(aliases.map((a) => a.successorCode)) })
      ).map((e) => e.organId),
    );
    const insertable = aliases.filter((a) => known.has(a.successorCode));
    if (insertable.length === 0) return 0;
    const result = await this.db
      .createQueryBuilder()
      .insert()
      .into(OrganAliasEntity)
      .values(insertable)
      .orIgnore()
      .returning(['closedCode'])
      .execute();
    return (result.raw as unknown[]).length;
  }

  async saveAlias(alias: OrganAlias, change: EndpointChange): Promise<void> {
    await this.db.transaction(async (m) => {
      await m.getRepository(OrganAliasEntity).upsert(alias, ['closedCode']);
      await m.getRepository(EndpointChangeEntity).insert(change);
    });
  }
}

function toEndpoint(row: EndpointEntity): Endpoint {
  return {
    organId: row.organId,
    codeQd20: row.codeQd20,
    name: row.name,
    category: row.category as OrganCategory,
    transport: row.transport as Endpoint['transport'],
    status: row.status as EndpointStatus,
    statusReason: row.statusReason,
    signaturePolicy: row.signaturePolicy as SignaturePolicy,
    bridgeAuth: row.bridgeAuth as BridgeAuth,
  };
}

function fromEndpoint(e: Endpoint): Partial<EndpointEntity> {
  return {
    organId: e.organId,
    codeQd20: e.codeQd20,
    name: e.name,
    category: e.category,
    transport: e.transport,
    status: e.status,
    statusReason: e.statusReason,
    signaturePolicy: e.signaturePolicy,
    bridgeAuth: e.bridgeAuth,
  };
}
