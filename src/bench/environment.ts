import { Client } from 'pg';
import type { BusConfig } from '../adapters/config/bus-config';
import { RabbitManagementClient } from '../adapters/rabbitmq-admin/management-client';

/** Broker users of the bench's endpoints: never those of a live bus on the same broker. */
export const BENCH_BROKER_USER_PREFIX = 'edoc-bench.';

/** A fresh database and vhost per run, so runs do not see each other's data. */
export async function freshEnvironment(base: BusConfig, runId: string, port = 18080): Promise<BusConfig> {
  const vhost = 'edoc-bench';
  const management = new RabbitManagementClient(base.managementUrl);
  await management.deleteVhost(vhost);
  await management.putVhost(vhost);
  const busUser = decodeURIComponent(new URL(base.amqpUrl).username) || 'guest';
  await management.putPermissions(vhost, busUser, { configure: '.*', write: '.*', read: '.*' });
  const amqp = new URL(base.amqpUrl);
  amqp.pathname = `/${vhost}`;
  const db = new URL(base.databaseUrl);
  db.pathname = '/edoc_bench';
  const adminUrl = new URL(base.databaseUrl);
  adminUrl.pathname = '/postgres';
  const admin = new Client({ connectionString: adminUrl.toString() });
  await admin.connect();
  await admin.query('DROP DATABASE IF EXISTS edoc_bench WITH (FORCE)');
  await admin.end();
  void runId;
  return {
    ...base,
    amqpUrl: amqp.toString(),
    databaseUrl: db.toString(),
    port,
    brokerUserPrefix: BENCH_BROKER_USER_PREFIX,
  };
}

export function envOf(config: BusConfig): Record<string, string> {
  return {
    DATABASE_URL: config.databaseUrl,
    AMQP_URL: config.amqpUrl,
    RABBITMQ_MANAGEMENT_URL: config.managementUrl,
    BROKER_USER_PREFIX: config.brokerUserPrefix,
    PORT: String(config.port),
  };
}

export async function waitForReady(port: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/health/ready`);
      if (r.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('the bus did not become ready within 60 s');
}
