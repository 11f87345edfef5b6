import type { SignaturePolicy } from '../trust/policy/signature-policy';
import type { BridgeAuth, Endpoint, EndpointStatus, OrganAlias, Transport } from './domain/endpoint';

export interface EndpointChange {
  organId: string;
  action:
    'add' | 'update' | 'lock' | 'unlock' | 'close' | 'provision' | 'alias' | 'policy' | 'transport' | 'auth';
  actor: string;
  reason: string | null;
  at: Date;
}

/** Port: where endpoints, aliases and the record of operator changes are kept. */
export abstract class EndpointRepository {
  abstract findAll(): Promise<Endpoint[]>;
  abstract findOne(organId: string): Promise<Endpoint | null>;
  /** Inserts endpoints that do not exist yet; returns how many were inserted. */
  abstract insertMissing(endpoints: Endpoint[]): Promise<number>;
  abstract save(endpoint: Endpoint, change: EndpointChange): Promise<void>;
  abstract setStatus(
    organId: string,
    status: EndpointStatus,
    reason: string | null,
    change: EndpointChange,
  ): Promise<void>;
  abstract setSignaturePolicy(
    organId: string,
    policy: SignaturePolicy,
    change: EndpointChange,
  ): Promise<void>;
  abstract setBridgeAuth(organId: string, mode: BridgeAuth, change: EndpointChange): Promise<void>;
  abstract setTransport(organId: string, transport: Transport, change: EndpointChange): Promise<void>;
  abstract markProvisioned(organId: string, brokerUser: string, change: EndpointChange): Promise<void>;
  abstract findAllAliases(): Promise<OrganAlias[]>;
  /** Inserts aliases whose closed code has none yet; returns how many were inserted. */
  abstract insertMissingAliases(aliases: OrganAlias[]): Promise<number>;
  abstract saveAlias(alias: OrganAlias, change: EndpointChange): Promise<void>;
}
