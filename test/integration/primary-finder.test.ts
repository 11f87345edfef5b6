import { createServer, connect, type Server, type Socket } from 'node:net';
import { PrimaryFinder } from '../../src/adapters/postgres/primary-finder';
import { testServices } from '../support/infrastructure';

/**
 * A primary that dies while a new pool connection checks it is writable (what a failover does to
 * the connections being opened at that moment): the connection fails, the next host gets the turn,
 * and the process lives on. A proxy in front of the machine's PostgreSQL cuts the connection when
 * the check's query passes through it.
 */
describe('a pool connection whose server dies during the primary check', () => {
  let proxy: Server;
  let proxyPort = 0;
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    const target = new URL(testServices().databaseUrl);
    proxy = createServer((client) => {
      const server = connect(Number(target.port || 5432), target.hostname);
      sockets.add(client).add(server);
      server.pipe(client);
      client.on('data', (chunk: Buffer) => {
        // The server "dies" as the check arrives: it never answers, and the connection is cut.
        if (chunk.includes('SHOW transaction_read_only')) {
          server.destroy();
          client.destroy();
          return;
        }
        server.write(chunk);
      });
      client.on('error', () => server.destroy());
      server.on('error', () => client.destroy());
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    proxyPort = (proxy.address() as { port: number }).port;
  });

  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => proxy.close(r));
  });

  it('fails that connection, passes the turn to the next host and does not end the process', async () => {
    const direct = testServices().databaseUrl;
    const viaProxy = new URL(direct);
    viaProxy.host = `127.0.0.1:${proxyPort}`;
    const finder = new PrimaryFinder([viaProxy.toString(), direct]);
    const PrimaryClient = finder.clientClass();

    const dying = new PrimaryClient();
    await expect(dying.connect()).rejects.toThrow(/terminated/i);
    // Any 'error' event the lost connection still emits arrives on a later turn of the loop.
    await new Promise((r) => setTimeout(r, 100));
    expect(finder.current).toBe(direct);

    const next = new PrimaryClient();
    await next.connect();
    const { rows } = await next.query<{ ok: number }>('SELECT 1 AS ok');
    expect(rows).toEqual([{ ok: 1 }]);
    await next.end();
  });
});
