import { Logger } from '@nestjs/common';
import { connect, credentials, type ChannelModel, type RecoveringChannelModel } from 'amqplib';
import { redactUrl, type AmqpTls } from '../config/bus-config';
import { BrokerNodes, brokerUrlList } from './broker-nodes';

export type SetupHook = (model: ChannelModel) => Promise<void>;

/**
 * One broker connection that comes back by itself. Components register setup hooks (declare
 * topology, open channels, start consumers) that run after every (re)connect, so a broker restart
 * needs no operator. Given the nodes of a cluster, it connects to the first that answers and moves
 * to another when its node goes away (BrokerNodes). The bus keeps publishing and consuming on
 * separate connections, so the broker's flow control on publishers never stalls consumers.
 */
export class AmqpConnection {
  private readonly logger: Logger;
  private readonly hooks: SetupHook[] = [];
  private recovering: RecoveringChannelModel | null = null;
  private current: ChannelModel | null = null;
  private readonly nodes: BrokerNodes;

  constructor(
    /** One broker URL, or the nodes of one cluster (a list, or one comma-separated string). */
    urls: string | readonly string[],
    readonly name: string,
    /** For amqps://: the roots to verify the broker and, to log in by certificate, ours. */
    private readonly tls: AmqpTls | null = null,
  ) {
    this.logger = new Logger(`amqp:${name}`);
    this.nodes = new BrokerNodes(brokerUrlList(urls));
  }

  /** Registers a hook; if already connected it runs now as well. */
  async onConnect(hook: SetupHook): Promise<void> {
    this.hooks.push(hook);
    if (this.current) await hook(this.current);
  }

  /** Runs a function on the current connection, once, without registering it for reconnects. */
  async onConnectOnce(fn: SetupHook): Promise<void> {
    if (this.current) await fn(this.current);
  }

  async start(options: { initialRetries?: number } = {}): Promise<void> {
    // amqplib's URL-object form, read field by field at every attempt (see BrokerNodes).
    this.recovering = await connect(this.nodes.target(), {
      clientProperties: { connection_name: `edoc-bus ${this.name}` },
      // A node that takes the TCP connection but never answers (half-dead) is left after 10 s.
      timeout: 10_000,
      ...tlsSocketOptions(this.nodes.first, this.tls),
      recovery: {
        initialDelay: 200,
        maxDelay: 5000,
        // At start-up every node of a cluster gets its chance before the connection gives up.
        initialMaxRetries: Math.max(options.initialRetries ?? 0, this.nodes.count - 1),
        maxRetries: Infinity,
        waitForConnect: false,
        setup: async (model: ChannelModel) => {
          // A channel closed by the broker without its own listener re-emits here: log, never crash.
          model.on('error', (err: Error) => this.logger.warn(`channel error: ${err.message}`));
          for (const hook of this.hooks) await hook(model);
        },
      },
    });
    this.recovering.on('connect', (model: ChannelModel) => {
      this.current = model;
      this.logger.log(`connected to ${redactUrl(this.nodes.current)}`);
    });
    this.recovering.on('connect-failed', (err: Error) => {
      if (this.nodes.count > 1) {
        this.logger.warn(
          `${redactUrl(this.nodes.current)} did not answer (${err.message}); trying the next node`,
        );
      }
      this.nodes.moveOn();
    });
    this.recovering.on('disconnect', (err: Error) => {
      this.current = null;
      const away = redactUrl(this.nodes.current);
      this.nodes.moveOn();
      const next = this.nodes.count > 1 ? ` at ${redactUrl(this.nodes.current)}` : '';
      this.logger.warn(`connection to ${away} lost (${err.message}); reconnecting${next}`);
    });
    this.recovering.on('error', (err: Error) => this.logger.warn(`connection error: ${err.message}`));
    this.recovering.on('blocked', (reason: string) =>
      this.logger.warn(`broker blocked publishing: ${reason}`),
    );
    await this.recovering.waitForConnect();
  }

  get connected(): boolean {
    return this.current !== null;
  }

  /** Closes the current underlying connection so recovery reopens it (after a channel-level failure). */
  async reset(reason: string): Promise<void> {
    const model = this.current;
    if (!model) return;
    this.logger.warn(`resetting connection: ${reason}`);
    this.current = null;
    await model.close().catch(() => undefined);
  }

  async close(): Promise<void> {
    this.current = null;
    await this.recovering?.close().catch(() => undefined);
    this.recovering = null;
  }
}

/**
 * TLS options of an amqps:// connection. With a client certificate and no user in the URL, the
 * login is EXTERNAL: the broker names the user by the certificate and no password exists.
 */
function tlsSocketOptions(url: string, tls: AmqpTls | null): Record<string, unknown> {
  if (!tls || !url.startsWith('amqps:')) return {};
  const u = new URL(url);
  return {
    ...(tls.caPem ? { ca: [tls.caPem] } : {}),
    ...(tls.certPem && tls.keyPem ? { cert: tls.certPem, key: tls.keyPem } : {}),
    ...(tls.certPem && !u.username && !u.password ? { credentials: credentials.external() } : {}),
  };
}
