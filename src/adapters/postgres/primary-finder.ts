import { Client, type ClientConfig } from 'pg';

/**
 * The hosts of a PostgreSQL primary and its standbys, and which of them is the primary now.
 *
 * node-postgres reads no libpq host list (`host=a,b target_session_attrs=read-write`), so the bus
 * does what libpq does: every new pool connection goes to the host last found writable; a host
 * that refuses, or answers read-only (a standby, or a demoted primary), passes the turn to the
 * next. After a failover the connection attempts that meet the old primary fail once each — the
 * bus treats them as the transient database errors they are and retries — and then land on the
 * promoted standby. No proxy to run, and nothing that can route a write to a standby.
 */
export class PrimaryFinder {
  private index = 0;

  constructor(readonly urls: readonly string[]) {
    if (urls.length === 0) throw new Error('no database URL given');
  }

  get current(): string {
    return this.urls[this.index]!;
  }

  /** The host at `url` did not serve as primary: the next attempt goes to the next one. */
  passOver(url: string): void {
    if (this.urls[this.index] === url) this.index = (this.index + 1) % this.urls.length;
  }

  /**
   * A pg Client class for the pool (`extra.Client`): each connection opens on the current host and
   * checks it accepts writes before it is handed out.
   */
  clientClass(): typeof Client {
    return this.urls.length === 1 ? Client : primaryClientClass(this);
  }

  /** A plain client on the primary (administration: creating the database), trying each host once. */
  async connectPrimary(
    config: Omit<ClientConfig, 'connectionString'> = {},
    database?: string,
  ): Promise<Client> {
    let lastError: unknown;
    for (let tried = 0; tried < this.urls.length; tried += 1) {
      const target = this.current;
      const url = new URL(target);
      if (database !== undefined) url.pathname = `/${database}`;
      const client = new Client({ ...config, connectionString: url.toString() });
      // A connection lost between queries is an 'error' event: unheard, it would end the process.
      // The caller learns of it from the next query, which fails.
      client.on('error', () => undefined);
      try {
        await client.connect();
        if (!(await readOnly(client))) return client;
        lastError = new StandbyError(target);
      } catch (error) {
        lastError = error;
      }
      await client.end().catch(() => undefined);
      this.passOver(target);
    }
    throw lastError;
  }
}

/** Clients that share `finder`'s idea of the primary: each connects there and checks it. */
function primaryClientClass(finder: PrimaryFinder): typeof Client {
  return class PrimaryClient extends Client {
    private readonly target: string;

    constructor(config?: string | ClientConfig) {
      const target = finder.current;
      // The target's URL carries the user, database and TLS parameters, the same on every host.
      super({ ...(typeof config === 'string' ? {} : config), connectionString: target });
      this.target = target;
    }

    // pg-pool connects with a callback, the rest of the code with a promise: both are served.
    override connect(): Promise<Client>;
    override connect(callback: ((err: Error) => void) | ((err: null, c: Client) => void)): void;
    override connect(
      callback?: ((err: Error) => void) | ((err: null, c: Client) => void),
    ): Promise<Client> | void {
      const connected = this.connectWritable().then(() => this as Client);
      if (!callback) return connected;
      const done = callback as (err: Error | null, c?: Client) => void;
      connected.then(
        (client) => done(null, client),
        (error: Error) => done(error),
      );
    }

    private async connectWritable(): Promise<void> {
      // Until the pool's connect callback runs, nobody listens for this client's 'error' events,
      // and a primary that dies during the check below (a failover) emits one: unheard, it ended
      // the bus process (seen in the chaos suite's failover scenario). The failed check reports it.
      const meanwhile = () => undefined;
      this.on('error', meanwhile);
      try {
        await this.connectAndCheck();
      } finally {
        this.off('error', meanwhile);
      }
    }

    private async connectAndCheck(): Promise<void> {
      try {
        await super.connect();
      } catch (error) {
        finder.passOver(this.target);
        throw error;
      }
      let standby: boolean;
      try {
        standby = await readOnly(this);
      } catch (error) {
        finder.passOver(this.target);
        throw error;
      }
      if (standby) {
        finder.passOver(this.target);
        await this.end().catch(() => undefined);
        throw new StandbyError(this.target);
      }
    }
  };
}

/** What libpq's target_session_attrs=read-write asks: does this session accept writes? */
async function readOnly(client: Client): Promise<boolean> {
  const { rows } = await client.query<{ transaction_read_only: string }>('SHOW transaction_read_only');
  return rows[0]?.transaction_read_only === 'on';
}

/** A connection reached a standby (read-only) where the primary was expected. */
export class StandbyError extends Error {
  readonly code = '25006'; // read_only_sql_transaction: transient for the bus, as after a failover
  constructor(url: string) {
    super(`${new URL(url).host} is a standby (read-only), not the primary; trying the next host`);
    this.name = 'StandbyError';
  }
}
