import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { RabbitManagementClient } from '../../src/adapters/amqp/admin/management-client';

/**
 * A three-node RabbitMQ cluster on this machine, through scripts/cluster/rabbitmq-cluster.sh (the
 * chaos suite's and the cluster bench's; the README shows the same script for trying a cluster).
 * Nodes are numbered 1 to 3; node n serves AMQP on base + n - 1 and management 10000 above.
 */
const run = promisify(execFile);

export class BrokerCluster {
  private constructor(
    private readonly root: string,
    readonly dir: string,
    readonly basePort: number,
  ) {}

  /** Starts the three nodes and joins them (bounded by the script: ~1 min at most). */
  static async start(root: string, dir: string, basePort = 5701): Promise<BrokerCluster> {
    const cluster = new BrokerCluster(root, dir, basePort);
    await cluster.script('start', dir, String(basePort));
    return cluster;
  }

  /** `amqp://guest:guest@127.0.0.1:<port>/<vhost>` for each node. */
  amqpUrls(vhost = ''): string[] {
    return [0, 1, 2].map(
      (i) => `amqp://guest:guest@127.0.0.1:${this.basePort + i}/${encodeURIComponent(vhost)}`,
    );
  }

  managementUrls(): string[] {
    return [0, 1, 2].map((i) => `http://guest:guest@127.0.0.1:${this.basePort + 10_000 + i}`);
  }

  nodeName(n: number): string {
    return `edoc-${this.basePort}-${n}@localhost`;
  }

  /** Stops node n as a failure would take it away (its queues' followers elect new leaders). */
  async stopNode(n: number): Promise<void> {
    await this.script('stop-node', this.dir, String(n), String(this.basePort));
  }

  async startNode(n: number): Promise<void> {
    await this.script('start-node', this.dir, String(n), String(this.basePort));
  }

  /** Spreads quorum-queue leaders over the nodes again (after a node came back). */
  async rebalance(): Promise<void> {
    await this.script('rebalance', this.dir, String(this.basePort));
  }

  async stop(): Promise<void> {
    await this.script('stop', this.dir, String(this.basePort));
  }

  /** Quorum queues of the vhost per leading node, and their member counts. */
  async leaders(vhost: string): Promise<{ byNode: Map<number, number>; members: number[] }> {
    const management = new RabbitManagementClient(this.managementUrls().join(','));
    const queues = await management.quorumQueues(vhost);
    const byNode = new Map<number, number>();
    for (const q of queues) {
      const n = [1, 2, 3].find((k) => q.leader === this.nodeName(k)) ?? 0;
      if (n > 0) byNode.set(n, (byNode.get(n) ?? 0) + 1);
    }
    return { byNode, members: queues.map((q) => q.members.length) };
  }

  /** The node that leads the most quorum queues of the vhost. */
  async nodeLeadingMost(vhost: string): Promise<{ node: number; leads: number; queues: number }> {
    const { byNode, members } = await this.leaders(vhost);
    const [node, leads] = [...byNode].sort((a, b) => b[1] - a[1])[0] ?? [1, 0];
    return { node, leads, queues: members.length };
  }

  /**
   * Runs the script without blocking this process: the chaos suite and the tests serve the test
   * PKI's OCSP and CRL answers from here, and a bus asking meanwhile must get them.
   */
  private async script(...args: string[]): Promise<void> {
    try {
      await run('sh', [join(this.root, 'scripts/cluster/rabbitmq-cluster.sh'), ...args], {
        timeout: 180_000,
      });
    } catch (error) {
      const { stderr = '', stdout = '' } = error as { stderr?: string; stdout?: string };
      throw new Error(`rabbitmq-cluster.sh ${args[0]} failed: ${String(error)} ${stderr}${stdout}`);
    }
  }
}
