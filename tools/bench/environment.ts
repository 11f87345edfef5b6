import { readFileSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { join } from 'node:path';
import {
  amqpNodesOf,
  databaseNodesOf,
  databaseUrlSetting,
  type BusConfig,
} from '../../src/adapters/config/bus-config';
import { PrimaryFinder } from '../../src/adapters/postgres/primary-finder';
import { RabbitManagementClient } from '../../src/adapters/amqp/admin/management-client';

/** Broker users of the bench's endpoints: never those of a live bus on the same broker. */
export const BENCH_BROKER_USER_PREFIX = 'edoc-bench.';

/**
 * TLS on every channel of a bench or chaos run, with the development PKI (certs/generated, what the
 * local broker's AMQPS listener and PostgreSQL serve — see scripts/ensure-ready.js): the bus's
 * HTTPS port, AMQPS with the endpoints' certificates, PostgreSQL with sslmode=verify-full.
 */
export interface BenchTls {
  pkiDir: string;
  /** The roots and issuing CAs, one PEM file: what verifies the broker, and the broker's clients. */
  caFile: string;
  caPem: string;
}

export function benchTls(pkiDir: string): BenchTls {
  const caPem =
    readFileSync(join(pkiDir, 'trust-anchors.pem'), 'utf8') +
    readFileSync(join(pkiDir, 'intermediates.pem'), 'utf8');
  const caFile = join(pkiDir, 'ca-bundle.pem');
  writeFileSync(caFile, caPem);
  return { pkiDir, caFile, caPem };
}

/** A fresh database and vhost per run, so runs do not see each other's data. */
export async function freshEnvironment(
  base: BusConfig,
  runId: string,
  port = 18080,
  tls: BenchTls | null = null,
): Promise<BusConfig> {
  // A TLS bench lives beside a plain one (bench: same run, figures side by side).
  const vhost = tls ? 'edoc-bench-tls' : 'edoc-bench';
  const management = new RabbitManagementClient(base.managementUrl);
  await management.deleteVhost(vhost);
  await management.putVhost(vhost);
  const busUser = decodeURIComponent(new URL(base.amqpUrl).username) || 'guest';
  await management.putPermissions(vhost, busUser, { configure: '.*', write: '.*', read: '.*' });
  const amqp = new URL(base.amqpUrl);
  amqp.pathname = `/${vhost}`;
  // A cluster's other nodes: the same vhost on each.
  const failover = base.amqpFailoverUrls.map((node) => {
    const u = new URL(node);
    u.pathname = `/${vhost}`;
    return u.toString();
  });
  const db = new URL(base.databaseUrl);
  db.pathname = tls ? '/edoc_bench_tls' : '/edoc_bench';
  // A standby's URL names the same database.
  const dbFailover = base.databaseFailoverUrls.map((host) => {
    const u = new URL(host);
    u.pathname = db.pathname;
    return u.toString();
  });
  const admin = await new PrimaryFinder(databaseNodesOf(base)).connectPrimary({}, 'postgres');
  await admin.query(`DROP DATABASE IF EXISTS ${tls ? 'edoc_bench_tls' : 'edoc_bench'} WITH (FORCE)`);
  await admin.end();
  void runId;
  const plain = {
    ...base,
    amqpUrl: amqp.toString(),
    amqpFailoverUrls: failover,
    databaseUrl: db.toString(),
    databaseFailoverUrls: dbFailover,
    port,
    brokerUserPrefix: BENCH_BROKER_USER_PREFIX,
  };
  if (!tls) return plain;
  // Its own password users' names: provisioning certificate logins deletes the organ's password
  // user of this prefix, and must not take the plain bench's.
  plain.brokerUserPrefix = `${BENCH_BROKER_USER_PREFIX.slice(0, -1)}-tls.`;
  amqp.protocol = 'amqps:';
  amqp.port = '5671';
  db.searchParams.set('sslmode', 'verify-full');
  db.searchParams.set('sslrootcert', join(tls.pkiDir, 'trust-anchors.pem'));
  return {
    ...plain,
    amqpUrl: amqp.toString(),
    amqpTls: { caPem: tls.caPem, certPem: null, keyPem: null },
    databaseUrl: db.toString(),
    tls: {
      certFile: join(tls.pkiDir, 'server.crt'),
      keyFile: join(tls.pkiDir, 'server.key'),
      caFile: null,
      plaintext: 'off',
      ticketRotationSeconds: 3600,
    },
  };
}

export function envOf(config: BusConfig, tls: BenchTls | null = null): Record<string, string> {
  return {
    DATABASE_URL: databaseUrlSetting(databaseNodesOf(config)),
    AMQP_URL: amqpNodesOf(config).join(','),
    RABBITMQ_MANAGEMENT_URL: config.managementUrl,
    BROKER_USER_PREFIX: config.brokerUserPrefix,
    PORT: String(config.port),
    ...(tls && config.tls
      ? {
          TLS_CERT: config.tls.certFile,
          TLS_KEY: config.tls.keyFile,
          HTTP_PLAINTEXT: config.tls.plaintext,
          AMQP_TLS_CA: tls.caFile,
        }
      : {}),
  };
}

/** GET a page of a bench bus (HTTPS verified with the bench's roots when it serves TLS). */
export function getText(
  port: number,
  path: string,
  tls: BenchTls | null = null,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const options = { host: '127.0.0.1', port, path, timeout: 10_000 };
    const req = tls
      ? httpsGet({ ...options, ca: tls.caPem, servername: 'localhost' }, answer)
      : httpGet(options, answer);
    function answer(res: import('node:http').IncomingMessage) {
      let body = '';
      res
        .setEncoding('utf8')
        .on('data', (c: string) => (body += c))
        .on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }
    req.on('error', reject).on('timeout', () => req.destroy(new Error('timeout')));
  });
}

export async function waitForReady(port: number, tls: BenchTls | null = null): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      if ((await getText(port, '/health/ready', tls)).status === 200) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('the bus did not become ready within 60 s');
}
