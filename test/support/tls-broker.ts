import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { privateKeyPem } from '../../tools/pki/test-pki';
import type { TestTrust } from './test-trust';

const SCRIPT = resolve(__dirname, '../../scripts/rabbitmq-node.sh');

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/**
 * A RabbitMQ node of the test's own (scripts/rabbitmq-node.sh), listening for AMQPS with the test
 * PKI's server certificate and taking EXTERNAL logins by client certificate — configured as a
 * deployment's broker is, without touching the machine's broker.
 */
export class TlsBroker {
  private constructor(
    private readonly name: string,
    private readonly dir: string,
    readonly amqpsPort: number,
    readonly managementPort: number,
    /** The roots that verify the broker's certificate (and the organs'). */
    readonly caPem: string,
  ) {}

  static async start(trust: TestTrust): Promise<TlsBroker> {
    const dir = mkdtempSync(join(tmpdir(), 'edoc-broker-'));
    const name = `edoc-tls-${process.pid}`;
    const [amqp, dist, mgmt, amqps] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    const server = trust.pki.server ?? (await trust.pki.issueServer());
    const caPem = trust.pki.trustAnchorsPem() + trust.pki.intermediatesPem();
    writeFileSync(join(dir, 'ca.pem'), caPem);
    writeFileSync(
      join(dir, 'broker.crt'),
      `${server.certificate.toString('pem')}\n${trust.pki.intermediatesPem()}`,
    );
    writeFileSync(join(dir, 'broker.key'), await privateKeyPem(server.keys.privateKey), { mode: 0o600 });
    const stop = () => execFileSync('sh', [SCRIPT, 'stop', name, dir], { stdio: 'pipe', timeout: 60_000 });
    try {
      execFileSync(
        'sh',
        [
          SCRIPT,
          'start',
          name,
          dir,
          ...[amqp, dist, mgmt, amqps].map(String),
          join(dir, 'ca.pem'),
          join(dir, 'broker.crt'),
          join(dir, 'broker.key'),
        ],
        { stdio: 'pipe', timeout: 90_000 },
      );
    } catch (error) {
      stop(); // a node that half started must not outlive the test
      throw error;
    }
    return new TlsBroker(name, dir, amqps, mgmt, caPem);
  }

  /** The bus's own URL: its user and password, over TLS. */
  amqpsUrl(user = 'guest', password = 'guest'): string {
    return `amqps://${encodeURIComponent(user)}:${encodeURIComponent(password)}@localhost:${this.amqpsPort}`;
  }

  managementUrl(): string {
    return `http://guest:guest@127.0.0.1:${this.managementPort}`;
  }

  async stop(): Promise<void> {
    execFileSync('sh', [SCRIPT, 'stop', this.name, this.dir], { stdio: 'pipe', timeout: 60_000 });
    rmSync(this.dir, { recursive: true, force: true });
  }
}
