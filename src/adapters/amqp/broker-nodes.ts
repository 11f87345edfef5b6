import type { Options } from 'amqplib';
import { listOf } from '../config/bus-config';

/**
 * The nodes of one RabbitMQ cluster a connection may use, in the order given. amqplib's recovery
 * reconnects to the one URL it was given; handed this object instead (its URL-object form), it
 * reads the fields of the node in turn at every attempt, and the connection moves to the next
 * node whenever an attempt fails or an open connection goes away — so a client of a three-node
 * cluster follows the cluster when the node it used stops.
 */
export class BrokerNodes {
  private index = 0;
  private readonly nodes: URL[];

  constructor(urls: readonly string[]) {
    if (urls.length === 0) throw new Error('no broker URL given');
    this.nodes = urls.map((url) => new URL(url));
    const [first] = this.nodes;
    for (const node of this.nodes) {
      if (node.protocol !== first!.protocol || vhostIn(node) !== vhostIn(first!)) {
        throw new Error('the broker URLs of one cluster must share their scheme and vhost');
      }
    }
  }

  /** The URL of the node the next attempt goes to (for logs: redact it). */
  get current(): string {
    return this.nodes[this.index]!.toString();
  }

  get first(): string {
    return this.nodes[0]!.toString();
  }

  get count(): number {
    return this.nodes.length;
  }

  /** The next attempt goes to the next node (round robin). */
  moveOn(): void {
    this.index = (this.index + 1) % this.nodes.length;
  }

  /**
   * What amqplib's `connect` reads, field by field, each time it opens a connection: always the
   * current node's. A heartbeat of 15 s unless the URL says otherwise, so a dead TCP peer is
   * noticed within ~30 s.
   */
  target(): Options.Connect {
    const at = (): URL => this.nodes[this.index]!;
    const numberParam = (name: string): number | undefined => {
      const value = at().searchParams.get(name);
      return value === null ? undefined : Number(value);
    };
    return {
      get protocol() {
        return at().protocol.replace(/:$/, '');
      },
      get hostname() {
        return at().hostname.replace(/^\[|\]$/g, '');
      },
      get port() {
        return at().port ? Number(at().port) : undefined;
      },
      // No user and no password means guest/guest, as in amqplib's reading of a URL string.
      get username() {
        const { username, password } = at();
        return username || password ? decodeURIComponent(username) : undefined;
      },
      get password() {
        const { username, password } = at();
        return username || password ? decodeURIComponent(password) : undefined;
      },
      // Still escaped: amqplib unescapes the vhost itself.
      get vhost() {
        return at().pathname.replace(/^\//, '');
      },
      get heartbeat() {
        return numberParam('heartbeat') ?? 15;
      },
      get frameMax() {
        return numberParam('frameMax');
      },
      get channelMax() {
        return numberParam('channelMax');
      },
    };
  }
}

/** The vhost named by an AMQP URL: its path without the slash, decoded; '/' when there is none. */
function vhostIn(url: URL): string {
  const path = url.pathname.replace(/^\//, '');
  return path === '' ? '/' : decodeURIComponent(path);
}

/** A list of broker URLs written as one setting: comma-separated, spaces allowed around commas. */
export function brokerUrlList(setting: string | readonly string[]): string[] {
  return typeof setting === 'string' ? listOf(setting) : setting.map((url) => url.trim()).filter(Boolean);
}
