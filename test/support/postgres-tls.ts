import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { privateKeyPem } from '../../tools/pki/test-pki';
import { testServices, waitFor } from './infrastructure';
import type { TestTrust } from './test-trust';

/** Where the local server keeps the test certificate: it must outlive the test (a restart reads it). */
const LOCAL_TLS_DIR = '/var/lib/postgresql/edoc-test-tls';

export interface PostgresTls {
  /** The test services' database URL, with `sslmode=verify-full` and no root named yet. */
  url: string;
  close(): Promise<void>;
}

/**
 * A PostgreSQL server that speaks TLS with the test PKI's server certificate (localhost,
 * 127.0.0.1): a container of the test's own when a Docker engine answers, otherwise the local
 * server, switched on with ALTER SYSTEM and a reload (ssl = on stays: the certificate is kept in
 * /var/lib/postgresql/edoc-test-tls, where a restart finds it). Either way it fails loudly, with
 * what to do, rather than skip.
 */
export async function postgresWithTls(trust: TestTrust): Promise<PostgresTls> {
  const server = trust.pki.server ?? (await trust.pki.issueServer());
  const chain = trust.pki.serverChainPem();
  const key = await privateKeyPem(server.keys.privateKey);
  const base = new URL(testServices().databaseUrl);
  if (process.env.TEST_SERVICES_MODE === 'containers') return containerWithTls(chain, key);
  if (!['127.0.0.1', 'localhost', '::1'].includes(base.hostname) || process.getuid?.() !== 0)
    throw new Error(
      `The PostgreSQL TLS test switches the local server's TLS on, which needs root and a local server; TEST_DATABASE_URL is ${base.host}. Run the tests as root on the database's machine.`,
    );
  mkdirSync(LOCAL_TLS_DIR, { recursive: true, mode: 0o700 });
  writeFileSync(join(LOCAL_TLS_DIR, 'server.crt'), chain);
  writeFileSync(join(LOCAL_TLS_DIR, 'server.key'), key, { mode: 0o600 });
  chmodSync(join(LOCAL_TLS_DIR, 'server.key'), 0o600);
  execFileSync('chown', ['-R', 'postgres:postgres', LOCAL_TLS_DIR]);
  const admin = new Client({ connectionString: base.toString() });
  await admin.connect();
  // What the server served before (the demo's certificate, say) comes back when the test is done.
  const before: Record<string, string> = {};
  for (const setting of ['ssl', 'ssl_cert_file', 'ssl_key_file'])
    before[setting] = (await admin.query<Record<string, string>>(`SHOW ${setting}`)).rows[0]![setting]!;
  try {
    await admin.query(`ALTER SYSTEM SET ssl_cert_file = '${LOCAL_TLS_DIR}/server.crt'`);
    await admin.query(`ALTER SYSTEM SET ssl_key_file = '${LOCAL_TLS_DIR}/server.key'`);
    await admin.query(`ALTER SYSTEM SET ssl = on`);
    await admin.query('SELECT pg_reload_conf()');
  } finally {
    await admin.end();
  }
  // A reload reaches new sessions once the postmaster has read the files.
  await waitFor(async () => {
    const probe = new Client({ connectionString: base.toString() });
    await probe.connect();
    try {
      return (await probe.query<{ ssl: string }>('SHOW ssl')).rows[0]?.ssl === 'on';
    } finally {
      await probe.end();
    }
  }, 'PostgreSQL to take its TLS certificate');
  const url = new URL(base);
  url.searchParams.set('sslmode', 'verify-full');
  const restore = async () => {
    const c = new Client({ connectionString: base.toString() });
    await c.connect();
    try {
      await c.query(`ALTER SYSTEM SET ssl_cert_file = '${before['ssl_cert_file']!.replace(/'/g, "''")}'`);
      await c.query(`ALTER SYSTEM SET ssl_key_file = '${before['ssl_key_file']!.replace(/'/g, "''")}'`);
      await c.query(`ALTER SYSTEM SET ssl = ${before['ssl'] === 'on' ? 'on' : 'off'}`);
      await c.query('SELECT pg_reload_conf()');
    } finally {
      await c.end();
    }
  };
  return { url: url.toString(), close: restore };
}

/** A PostgreSQL container started with the certificate, owned by its postgres user as it requires. */
async function containerWithTls(chain: string, key: string): Promise<PostgresTls> {
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  const container = await new PostgreSqlContainer('postgres:15-alpine')
    .withUsername('postgres')
    .withPassword('postgres')
    .withCopyContentToContainer([
      { content: chain, target: '/tls-in/server.crt' },
      { content: key, target: '/tls-in/server.key' },
    ])
    .withEntrypoint(['sh', '-c'])
    .withCommand([
      'mkdir -p /tls && cp /tls-in/* /tls/ && chown postgres /tls/* && chmod 600 /tls/server.key && ' +
        'exec docker-entrypoint.sh postgres -c ssl=on -c ssl_cert_file=/tls/server.crt -c ssl_key_file=/tls/server.key',
    ])
    .start();
  const url = new URL(`postgres://postgres:postgres@localhost:${container.getPort()}/postgres`);
  url.searchParams.set('sslmode', 'verify-full');
  return { url: url.toString(), close: async () => void (await container.stop()) };
}

/** PEM roots written to a file, as PGSSLROOTCERT wants them. */
export function rootsFile(pem: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'edoc-pg-roots-')), 'roots.pem');
  writeFileSync(file, pem);
  return file;
}
