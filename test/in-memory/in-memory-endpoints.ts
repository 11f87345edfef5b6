import type {
  Endpoint,
  EndpointStatus,
  OrganAlias,
  BridgeAuth,
  Transport,
} from '../../src/modules/registry/domain/endpoint';
import { EndpointRepository, type EndpointChange } from '../../src/modules/registry/endpoint-repository.port';
import type { SignaturePolicy } from '../../src/modules/trust/policy/signature-policy';

/** The registry's port kept in a Map: what the use cases see of endpoints, without PostgreSQL. */
export class InMemoryEndpointRepository extends EndpointRepository {
  readonly endpoints = new Map<string, Endpoint>();
  readonly aliases = new Map<string, OrganAlias>();
  readonly changes: EndpointChange[] = [];

  constructor(endpoints: Endpoint[] = [], aliases: OrganAlias[] = []) {
    super();
    for (const e of endpoints) this.endpoints.set(e.organId, { ...e });
    for (const a of aliases) this.aliases.set(a.closedCode, { ...a });
  }

  async findAll(): Promise<Endpoint[]> {
    return [...this.endpoints.values()].map((e) => ({ ...e }));
  }

  async findOne(organId: string): Promise<Endpoint | null> {
    const e = this.endpoints.get(organId);
    return e ? { ...e } : null;
  }

  async insertMissing(endpoints: Endpoint[]): Promise<number> {
    const missing = endpoints.filter((e) => !this.endpoints.has(e.organId));
    for (const e of missing) this.endpoints.set(e.organId, { ...e });
    return missing.length;
  }

  async save(endpoint: Endpoint, change: EndpointChange): Promise<void> {
    this.endpoints.set(endpoint.organId, { ...endpoint });
    this.changes.push(change);
  }

  async setStatus(organId: string, status: EndpointStatus, reason: string | null, change: EndpointChange) {
    this.update(organId, { status, statusReason: reason }, change);
  }

  async setSignaturePolicy(organId: string, policy: SignaturePolicy, change: EndpointChange) {
    this.update(organId, { signaturePolicy: policy }, change);
  }

  async setBridgeAuth(organId: string, mode: BridgeAuth, change: EndpointChange) {
    this.update(organId, { bridgeAuth: mode }, change);
  }

  async setTransport(organId: string, transport: Transport, change: EndpointChange) {
    this.update(organId, { transport }, change);
  }

  async markProvisioned(organId: string, _brokerUser: string, change: EndpointChange) {
    this.update(organId, {}, change);
  }

  async findAllAliases(): Promise<OrganAlias[]> {
    return [...this.aliases.values()].map((a) => ({ ...a }));
  }

  async insertMissingAliases(aliases: OrganAlias[]): Promise<number> {
    const missing = aliases.filter((a) => !this.aliases.has(a.closedCode));
    for (const a of missing) this.aliases.set(a.closedCode, { ...a });
    return missing.length;
  }

  async saveAlias(alias: OrganAlias, change: EndpointChange): Promise<void> {
    this.aliases.set(alias.closedCode, { ...alias });
    this.changes.push(change);
  }

  private update(organId: string, patch: Partial<Endpoint>, change: EndpointChange): void {
    const e = this.endpoints.get(organId);
    if (!e) throw new Error(`no endpoint ${organId}`);
    this.endpoints.set(organId, { ...e, ...patch });
    this.changes.push(change);
  }
}
