import { Inject, Injectable, Optional } from '@nestjs/common';
import { Clock } from '../shared/clock';
import type { Endpoint, OrganAlias } from './domain/endpoint';
import {
  resolveRecipients,
  type DirectoryView,
  type RecipientResolution,
} from './domain/recipient-resolution';
import { EndpointRepository } from './endpoint-repository.port';

/** How long a snapshot of the directory is used before it is reloaded from the database. */
export const DIRECTORY_TTL_MS = Symbol('DIRECTORY_TTL_MS');

class Snapshot implements DirectoryView {
  private readonly endpoints: Map<string, Endpoint>;
  private readonly aliases: Map<string, OrganAlias>;
  constructor(
    endpoints: Endpoint[],
    aliases: OrganAlias[],
    readonly loadedAt: number,
  ) {
    this.endpoints = new Map(endpoints.map((e) => [e.organId, e]));
    this.aliases = new Map(aliases.map((a) => [a.closedCode, a]));
  }
  endpoint(organId: string): Endpoint | undefined {
    return this.endpoints.get(organId);
  }
  alias(closedCode: string): OrganAlias | undefined {
    return this.aliases.get(closedCode);
  }
}

/**
 * The registry as the hot path sees it: a snapshot of all endpoints and aliases, refreshed every
 * few seconds, so routing a document costs no query. 95 (or a few thousand) rows fit in memory;
 * a lock made by an operator in another process takes effect within one refresh period.
 */
@Injectable()
export class Directory {
  private snapshot: Snapshot | null = null;
  private loading: Promise<Snapshot> | null = null;

  constructor(
    private readonly repository: EndpointRepository,
    private readonly clock: Clock,
    @Optional() @Inject(DIRECTORY_TTL_MS) private readonly ttlMs: number = 2000,
  ) {}

  async resolve(addressed: readonly string[]): Promise<RecipientResolution[]> {
    return resolveRecipients(addressed, await this.current());
  }

  async endpoint(organId: string): Promise<Endpoint | undefined> {
    return (await this.current()).endpoint(organId);
  }

  /** The current snapshot, for a caller that looks up several organs synchronously. */
  async view(): Promise<DirectoryView> {
    return this.current();
  }

  /** Forget the snapshot (after a change made by this process). */
  invalidate(): void {
    this.snapshot = null;
  }

  private async current(): Promise<Snapshot> {
    const now = this.clock.now().getTime();
    if (this.snapshot && now - this.snapshot.loadedAt < this.ttlMs) return this.snapshot;
    this.loading ??= this.load(now).finally(() => (this.loading = null));
    return this.loading;
  }

  private async load(now: number): Promise<Snapshot> {
    const [endpoints, aliases] = await Promise.all([
      this.repository.findAll(),
      this.repository.findAllAliases(),
    ]);
    this.snapshot = new Snapshot(endpoints, aliases, now);
    return this.snapshot;
  }
}
