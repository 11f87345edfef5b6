import { InfrastructureUnavailableError } from '../../../modules/shared/errors';
import { listOf, redactUrls } from '../../config/bus-config';

export interface Permissions {
  configure: string;
  write: string;
  read: string;
}

interface ManagementNode {
  base: string;
  authorization: string;
}

/**
 * A small client of the RabbitMQ management HTTP API (users, permissions, vhosts, queue depths).
 * Given the management addresses of a cluster's nodes (comma-separated), it asks the one that
 * answered last and moves on to the next when it does not answer: every node serves the whole
 * cluster's users, queues and nodes.
 */
export class RabbitManagementClient {
  private readonly apiNodes: ManagementNode[];
  private index = 0;

  constructor(private readonly url: string) {
    this.apiNodes = listOf(url).map((part) => {
      const u = new URL(part);
      const authorization = `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`;
      u.username = '';
      u.password = '';
      return { base: u.toString().replace(/\/$/, ''), authorization };
    });
    if (this.apiNodes.length === 0) throw new Error('no RabbitMQ management URL given');
  }

  async putUser(name: string, password: string, tags = ''): Promise<void> {
    await this.request('PUT', `/api/users/${enc(name)}`, { password, tags });
  }

  /** The user as the broker keeps it (its password hash included), or null if there is none. */
  async user(name: string): Promise<{ name: string; password_hash: string; tags: unknown } | null> {
    const found = await this.request('GET', `/api/users/${enc(name)}`, undefined, [404]);
    return (found as { error?: string } | undefined)?.error || found === undefined
      ? null
      : (found as { name: string; password_hash: string; tags: unknown });
  }

  async deleteUser(name: string): Promise<void> {
    await this.request('DELETE', `/api/users/${enc(name)}`, undefined, [404]);
  }

  /** A user that cannot log in with a password (certificate users: EXTERNAL only). */
  async putUserWithoutPassword(name: string, tags = ''): Promise<void> {
    await this.request('PUT', `/api/users/${enc(name)}`, { password_hash: '', tags });
  }

  async userNames(): Promise<string[]> {
    return ((await this.request('GET', '/api/users')) as Array<{ name: string }>).map((u) => u.name);
  }

  /** Deletes every user whose name starts with `prefix` (a non-empty one: never all users). */
  async deleteUsersNamed(prefix: string): Promise<string[]> {
    if (!prefix) throw new Error('refusing to delete broker users without a name prefix');
    const mine = (await this.userNames()).filter((name) => name.startsWith(prefix));
    for (const name of mine) await this.deleteUser(name);
    return mine;
  }

  async putPermissions(vhost: string, user: string, permissions: Permissions): Promise<void> {
    await this.request('PUT', `/api/permissions/${enc(vhost)}/${enc(user)}`, permissions);
  }

  async putVhost(vhost: string): Promise<void> {
    await this.request('PUT', `/api/vhosts/${enc(vhost)}`, {});
  }

  async deleteVhost(vhost: string): Promise<void> {
    await this.request('DELETE', `/api/vhosts/${enc(vhost)}`, undefined, [404]);
  }

  /** A policy on the vhost's queues whose names match `pattern` (operators: limits, tests: faults). */
  async putPolicy(
    vhost: string,
    name: string,
    pattern: string,
    definition: Record<string, unknown>,
    priority = 10,
  ): Promise<void> {
    await this.request('PUT', `/api/policies/${enc(vhost)}/${enc(name)}`, {
      pattern,
      definition,
      'apply-to': 'queues',
      priority,
    });
  }

  async deletePolicy(vhost: string, name: string): Promise<void> {
    await this.request('DELETE', `/api/policies/${enc(vhost)}/${enc(name)}`, undefined, [404]);
  }

  async queueDepths(vhost: string, namePrefix: string): Promise<Array<{ name: string; messages: number }>> {
    const rows = (await this.request(
      'GET',
      `/api/queues/${enc(vhost)}?columns=name,messages&name=${encodeURIComponent(`^${namePrefix.replace(/\./g, '\\.')}`)}&use_regex=true`,
    )) as Array<{ name: string; messages?: number }> | { items: Array<{ name: string; messages?: number }> };
    const list = Array.isArray(rows) ? rows : rows.items;
    // The name filter applies only to paginated queries on some versions: filter here as well.
    return list
      .filter((q) => q.name.startsWith(namePrefix))
      .map((q) => ({ name: q.name, messages: q.messages ?? 0 }));
  }

  /** The cluster's nodes and whether each runs. */
  async nodes(): Promise<Array<{ name: string; running: boolean }>> {
    const rows = (await this.request('GET', '/api/nodes?columns=name,running')) as Array<{
      name: string;
      running?: boolean;
    }>;
    return rows.map((n) => ({ name: n.name, running: n.running === true }));
  }

  /** A vhost's quorum queues: their leader (none while an election is lost), members and members online. */
  async quorumQueues(
    vhost: string,
  ): Promise<Array<{ name: string; leader: string | null; members: string[]; online: string[] }>> {
    const rows = (await this.request(
      'GET',
      `/api/queues/${enc(vhost)}?columns=name,type,leader,members,online`,
    )) as Array<{ name: string; type?: string; leader?: string; members?: string[]; online?: string[] }>;
    return rows
      .filter((q) => q.type === 'quorum')
      .map((q) => ({
        name: q.name,
        leader: q.leader && q.leader !== '' ? q.leader : null,
        members: q.members ?? [],
        online: q.online ?? [],
      }));
  }

  async overview(): Promise<{ rabbitmq_version: string }> {
    return (await this.request('GET', '/api/overview')) as { rabbitmq_version: string };
  }

  private async request(
    method: string,
    path: string,
    body?: unknown,
    okStatuses: number[] = [],
  ): Promise<unknown> {
    const response = await this.fetchFromAnyNode(method, path, body);
    if (!response.ok && !okStatuses.includes(response.status)) {
      throw new Error(
        `RabbitMQ management API ${method} ${path}: HTTP ${response.status} ${await response.text()}`,
      );
    }
    const text = await response.text();
    return text ? (JSON.parse(text) as unknown) : undefined;
  }

  /** The answer of the first node that gives one, starting with the one that answered last. */
  private async fetchFromAnyNode(method: string, path: string, body: unknown): Promise<Response> {
    let lastError: unknown;
    for (let tried = 0; tried < this.apiNodes.length; tried += 1) {
      const node = this.apiNodes[this.index]!;
      try {
        return await fetch(`${node.base}${path}`, {
          method,
          headers: { authorization: node.authorization, 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
          // A node that is down refuses at once; one that hangs is left after 10 s for the next.
          signal: AbortSignal.timeout(10_000),
        });
      } catch (error) {
        lastError = error;
        this.index = (this.index + 1) % this.apiNodes.length;
      }
    }
    throw new InfrastructureUnavailableError('rabbitmq-management', managementHelp(this.url, lastError), {
      cause: lastError,
    });
  }
}

function enc(segment: string): string {
  return encodeURIComponent(segment);
}

export function managementHelp(url: string, error: unknown): string {
  const reason =
    error instanceof Error
      ? error.cause instanceof Error
        ? error.cause.message
        : error.message
      : String(error);
  return [
    `The RabbitMQ management API is not reachable at ${redactUrls(url)} (${reason}).`,
    'Endpoint provisioning needs it. Enable it with:  rabbitmq-plugins enable rabbitmq_management',
    'and start RabbitMQ with:  rabbitmq-server -detached   (or set RABBITMQ_MANAGEMENT_URL).',
  ].join('\n');
}

/** The vhost named by an AMQP URL (`/` when the path is empty). */
export function vhostOf(amqpUrl: string): string {
  const path = new URL(amqpUrl).pathname;
  return path && path !== '/' ? decodeURIComponent(path.slice(1)) : '/';
}
