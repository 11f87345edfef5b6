import 'reflect-metadata';
import { loadConfig } from '../../src/adapters/config/bus-config';
import { TestBus } from '../support/test-bus';
import { TestTrust } from '../support/test-trust';
import { postgresWithTls, rootsFile, type PostgresTls } from '../support/postgres-tls';

/**
 * The bus on a PostgreSQL server that speaks TLS, verified as libpq's `verify-full` does: the
 * server's certificate chains to the roots in PGSSLROOTCERT and names the host connected to.
 */
describe('PostgreSQL over TLS (sslmode=verify-full)', () => {
  let trust: TestTrust;
  let server: PostgresTls;

  beforeAll(async () => {
    trust = await TestTrust.start();
    server = await postgresWithTls(trust);
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await trust?.close();
  });

  it('runs the bus with the roots from PGSSLROOTCERT, over TLS 1.3', async () => {
    const roots = rootsFile(trust.pki.trustAnchorsPem());
    const databaseUrl = loadConfig({ DATABASE_URL: server.url, PGSSLROOTCERT: roots }).databaseUrl;
    expect(new URL(databaseUrl).searchParams.get('sslrootcert')).toBe(roots);
    const bus = await TestBus.start({}, { trust, databaseUrl });
    try {
      await bus.seed();
      const [own] = await bus.query<{ ssl: boolean; version: string }>(
        'SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
      );
      expect(own).toEqual({ ssl: true, version: 'TLSv1.3' });
      const [count] = await bus.query<{ n: number }>('SELECT count(*)::int AS n FROM endpoint');
      expect(count!.n).toBeGreaterThanOrEqual(95);
    } finally {
      await bus.close();
    }
  });

  it('refuses a server whose certificate does not chain to the configured roots', async () => {
    const stranger = rootsFile(trust.pki.caByName('foreign').certificate.toString('pem'));
    const databaseUrl = loadConfig({ DATABASE_URL: server.url, PGSSLROOTCERT: stranger }).databaseUrl;
    await expect(TestBus.start({}, { trust, databaseUrl })).rejects.toThrow(/certificate/i);
  });
});
