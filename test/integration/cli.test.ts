import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliEnv, runCli as run } from '../support/cli';
import { AxisClient } from '../../src/adapters/http/axis/client/axis-client';
import { documentPackage } from '../support/packages';
import { TestBus } from '../support/test-bus';

/**
 * The `edoc-bus` command as an operator uses it, run as a separate process against a running bus
 * (from the TypeScript sources, so no build is needed).
 */
describe('the edoc-bus command', () => {
  let bus: TestBus;
  let credentialsDir: string;

  beforeAll(async () => {
    bus = await TestBus.start();
    credentialsDir = mkdtempSync(join(tmpdir(), 'edoc-credentials-'));
    await bus.seed();
  });
  afterAll(() => bus?.close());

  // Asynchronous on purpose: the bus under test runs in this process and must keep working
  // while the command waits for it.
  const cli = (...args: string[]) => run(args, cliEnv(bus));

  it('seeds (idempotently) the 95 endpoints and lists them in both code forms', async () => {
    const seeded = await cli('endpoints', 'seed');
    expect(seeded.status).toBe(0);
    expect(seeded.stdout).toMatch(/95 in the registry; aliases: \d+ added/);
    const list = await cli('endpoints', 'list');
    expect(list.status).toBe(0);
    expect(list.stdout).toMatch(
      /000\.00\.00\.G22\s+G22\s+Văn phòng Chính phủ\s+ministry\s+amqp\s+strict\s+active/,
    );
    expect(list.stdout).toMatch(/95 endpoints, 29 aliases/);
  });

  it('adds, locks and unlocks an endpoint, and says clearly what is wrong', async () => {
    expect(
      (await cli('endpoints', 'add', 'G34.1', '--name', 'Cục thử nghiệm', '--transport', 'bridge')).stdout,
    ).toMatch(/000\.00\.01\.G34 \(G34\.1\) Cục thử nghiệm: bridge, active/);
    expect((await cli('endpoints', 'lock', 'G34.1', '--reason', 'bảo trì')).stdout).toMatch(
      /000\.00\.01\.G34 is now locked/,
    );
    expect((await cli('endpoints', 'unlock', '000.00.01.G34', '--reason', 'xong')).stdout).toMatch(
      /is now active/,
    );
    const bad = await cli('endpoints', 'lock', 'H99', '--reason', 'x');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/edoc-bus: No endpoint H99/);
    const missingReason = await cli('endpoints', 'lock', 'G22');
    expect(missingReason.status).not.toBe(0);
    expect(missingReason.stderr).toMatch(/--reason/);
  });

  it('provisions broker users and sends a package file as an endpoint, printing the receipt', async () => {
    // A live bus on the same broker names its users by the bare organ code: never touched here.
    const live = await bus.management.user('000.00.00.G22');
    const provision = await cli(
      'endpoints',
      'provision',
      '000.00.00.G22',
      '000.00.00.H41',
      '--credentials-dir',
      credentialsDir,
    );
    expect(provision.status).toBe(0);
    expect(provision.stdout).toMatch(/provisioned 2 endpoints/);
    const credentials = JSON.parse(readFileSync(join(credentialsDir, '000.00.00.G22.json'), 'utf8')) as {
      organId: string;
      username: string;
      amqpUrl: string;
    };
    // The broker user is the organ code, after this bus's BROKER_USER_PREFIX.
    expect(credentials).toMatchObject({
      organId: '000.00.00.G22',
      username: bus.brokerUser('000.00.00.G22'),
    });
    expect(await bus.management.user('000.00.00.G22')).toEqual(live);

    const file = join(credentialsDir, 'package.edxml');
    writeFileSync(file, documentPackage('000.00.00.G22', ['000.00.00.H41']).xml);
    const signing = await bus.trust.signing('000.00.00.G22');
    writeFileSync(join(credentialsDir, 'g22.key'), signing.keyPem);
    writeFileSync(join(credentialsDir, 'g22.crt'), signing.certificatePem);
    const sent = await cli(
      'send',
      file,
      '--as',
      '000.00.00.G22',
      '--credentials-dir',
      credentialsDir,
      '--key',
      join(credentialsDir, 'g22.key'),
      '--cert',
      join(credentialsDir, 'g22.crt'),
    );
    expect(sent.status).toBe(0);
    expect(sent.stdout).toMatch(/<Outcome>accepted<\/Outcome>/);
    expect(sent.stdout).toMatch(/<Recipient organId="000\.00\.00\.H41" outcome="queued"><\/Recipient>/);
    expect(sent.stdout).toMatch(/<SignatureCheck policy="strict" status="verified">/);
  });

  it('moves an endpoint to the bridges and issues its bridge credentials, which the axis API accepts', async () => {
    const moved = await cli(
      'endpoints',
      'transport',
      '000.00.00.H62',
      'bridge',
      '--reason',
      'no AMQP at the province',
    );
    expect(moved).toMatchObject({ status: 0 });
    expect(moved.stdout).toMatch(/000\.00\.00\.H62 now connects over bridge/);
    const provision = await cli(
      'endpoints',
      'provision',
      '000.00.00.H62',
      '--credentials-dir',
      credentialsDir,
    );
    expect(provision.status).toBe(0);
    const issued = JSON.parse(readFileSync(join(credentialsDir, '000.00.00.H62.bridge.json'), 'utf8')) as {
      systemId: string;
      secret: string;
      token: string;
    };
    expect(issued.systemId).toBe('000.00.00.H62');
    const [stored] = await bus.query<{ secret_box: string; token_hash: string }>(
      `SELECT secret_box, token_hash FROM bridge_credential WHERE organ_id = '000.00.00.H62'`,
    );
    expect(stored!.secret_box).not.toContain(issued.secret); // encrypted at rest
    expect(stored!.token_hash).not.toContain(issued.token); // only a hash
    await new Promise((r) => setTimeout(r, 50));
    const axis = new AxisClient(bus.httpBase(), issued.systemId, issued.secret);
    expect(await axis.call('getAgenciesList')).toMatchObject({ status: 'OK' });
    const rotated = await cli('endpoints', 'provision', '000.00.00.H62', '--credentials-dir', credentialsDir);
    expect(rotated.status).toBe(0);
    expect(await axis.call('getAgenciesList')).toMatchObject({ ErrorCode: '15' }); // the old secret no longer works
  });

  it('generates a test PKI with the development kit from tools/ (not part of the production build)', async () => {
    const out = mkdtempSync(join(tmpdir(), 'edoc-pki-'));
    const r = await run(['pki', 'init', '--out', out, '--server-name', 'bus.test'], {}, 120_000);
    expect(r).toMatchObject({ status: 0 });
    expect(r.stdout).toMatch(/test PKI written to/);
    const server = new X509Certificate(readFileSync(join(out, 'server.crt')));
    expect(server.subjectAltName).toMatch(/DNS:bus\.test/);
    const signer = new X509Certificate(readFileSync(join(out, 'endpoints', '000.00.00.G22.crt')));
    const caState = new X509Certificate(readFileSync(join(out, 'ca-state.crt')));
    const root = new X509Certificate(readFileSync(join(out, 'root-ca.crt')));
    expect(signer.verify(caState.publicKey) && caState.verify(root.publicKey)).toBe(true);
    expect(readFileSync(join(out, 'trust-anchors.pem'), 'utf8')).toContain(root.toString().trim());
    const again = await run(['pki', 'init', '--out', out], {});
    expect(again.stdout).toMatch(/already exists/);
  }, 150_000);

  it('names the missing service and how to start it', async () => {
    const r = await run(['endpoints', 'list'], { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/edoc' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/PostgreSQL is not reachable at postgres:\/\/postgres@127\.0\.0\.1:1\/edoc/);
    expect(r.stderr).toMatch(/pg_ctlcluster --skip-systemctl-redirect/);
  });
});
