import { execFileSync } from 'node:child_process';
import { connect } from 'node:net';

/**
 * Decides where the integration tests find PostgreSQL and RabbitMQ:
 * 1. a Docker engine answers → throwaway containers (testcontainers);
 * 2. otherwise the services named by TEST_DATABASE_URL / TEST_AMQP_URL /
 *    TEST_RABBITMQ_MANAGEMENT_URL, defaulting to the local ones;
 * and fails the whole run, loudly, if they cannot be reached. Tests are never skipped.
 * The URLs reach the test files through process.env (Jest passes it to its workers).
 */
export default async function globalSetup(): Promise<void> {
  if (dockerAnswers()) {
    process.env.TEST_SERVICES_MODE = 'containers';
    await startContainers();
    return;
  }
  const env = process.env;
  env.TEST_SERVICES_MODE = 'local';
  env.TEST_DATABASE_URL ??= 'postgres://postgres@127.0.0.1:5432/postgres';
  env.TEST_AMQP_URL ??= 'amqp://guest:guest@127.0.0.1:5672';
  env.TEST_RABBITMQ_MANAGEMENT_URL ??= 'http://guest:guest@127.0.0.1:15672';
  const problems: string[] = [];
  for (const [name, url, port] of [
    ['PostgreSQL (TEST_DATABASE_URL)', env.TEST_DATABASE_URL, 5432],
    ['RabbitMQ (TEST_AMQP_URL)', env.TEST_AMQP_URL, 5672],
    ['RabbitMQ management API (TEST_RABBITMQ_MANAGEMENT_URL)', env.TEST_RABBITMQ_MANAGEMENT_URL, 15672],
  ] as Array<[string, string, number]>) {
    if (!(await reachable(url, port))) problems.push(`${name} is not reachable at ${redact(url)}`);
  }
  if (problems.length > 0) {
    throw new Error(
      [
        'Integration tests need PostgreSQL and RabbitMQ, and no Docker engine answers for testcontainers.',
        ...problems,
        'Start the local services:  pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start;',
        '                           rabbitmq-server -detached; rabbitmq-plugins enable rabbitmq_management',
        'or set TEST_DATABASE_URL, TEST_AMQP_URL and TEST_RABBITMQ_MANAGEMENT_URL.',
      ].join('\n'),
    );
  }
  console.log(
    `\n[tests] using local services: ${redact(env.TEST_DATABASE_URL)}, ${redact(env.TEST_AMQP_URL)}`,
  );
}

function dockerAnswers(): boolean {
  try {
    execFileSync('docker', ['info', '--format', '{{.ServerVersion}}'], { stdio: 'pipe', timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

async function startContainers(): Promise<void> {
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  const { RabbitMQContainer } = await import('@testcontainers/rabbitmq');
  const [pg, rabbit] = await Promise.all([
    new PostgreSqlContainer('postgres:15-alpine').withUsername('postgres').withPassword('postgres').start(),
    new RabbitMQContainer('rabbitmq:3.13-management-alpine').start(),
  ]);
  process.env.TEST_DATABASE_URL = `postgres://postgres:postgres@${pg.getHost()}:${pg.getPort()}/postgres`;
  process.env.TEST_AMQP_URL = rabbit.getAmqpUrl();
  process.env.TEST_RABBITMQ_MANAGEMENT_URL = `http://guest:guest@${rabbit.getHost()}:${rabbit.getMappedPort(15672)}`;
  (globalThis as { __containers?: Array<{ stop(): Promise<unknown> }> }).__containers = [pg, rabbit];
  console.log('\n[tests] using containers (testcontainers)');
}

function reachable(url: string, defaultPort: number): Promise<boolean> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: u.hostname, port: Number(u.port || defaultPort) });
    socket.setTimeout(2000, () => (socket.destroy(), resolve(false)));
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}
