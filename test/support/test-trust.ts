import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PkiResponder } from '../../tools/pki/pki-responder';
import { privateKeyPem, TestPki, type BadCase, type Issued } from '../../tools/pki/test-pki';
import type { SigningCredentials } from '../../src/adapters/workers/signing-pool';
import type { BusConfig, TlsSettings } from '../../src/adapters/config/bus-config';

/**
 * A test PKI with its OCSP/CRL responder on a free loopback port, for one test file. Endpoint
 * certificates are issued on demand; the responder can be stopped and restarted to test the
 * revocation grace period.
 */
export class TestTrust {
  private port = 0;

  private constructor(
    readonly pki: TestPki,
    readonly responder: PkiResponder,
  ) {}

  static async start(validitySeconds = 3600): Promise<TestTrust> {
    const responder = new PkiResponder(null, validitySeconds);
    const port = await responder.listen(0);
    const pki = await TestPki.create(`http://127.0.0.1:${port}`);
    await pki.issueBadCases();
    responder.attach(pki);
    const trust = new TestTrust(pki, responder);
    trust.port = port;
    return trust;
  }

  /** Trust anchors, intermediates and the bus's own signing identity, as the bus config wants them. */
  async busConfig(): Promise<Pick<BusConfig, 'trust' | 'trustSources' | 'busSigning'>> {
    return {
      trust: { anchorsPem: this.pki.trustAnchorsPem(), intermediatesPem: this.pki.intermediatesPem() },
      trustSources: ['test PKI'],
      busSigning: {
        keyPem: await privateKeyPem(this.pki.bus.keys.privateKey),
        certPem: this.pki.bus.certificate.toString('pem'),
      },
    };
  }

  /** The same material as files, in the environment variables `edoc-bus serve` reads. */
  async writeFiles(dir: string): Promise<Record<string, string>> {
    const c = await this.busConfig();
    const files = {
      TRUST_ANCHORS: ['anchors.pem', c.trust.anchorsPem],
      TRUST_INTERMEDIATES: ['intermediates.pem', c.trust.intermediatesPem],
      BUS_SIGNING_KEY: ['bus.key', c.busSigning!.keyPem],
      BUS_SIGNING_CERT: ['bus.crt', c.busSigning!.certPem],
    } as const;
    const env: Record<string, string> = {};
    for (const [name, [file, content]] of Object.entries(files)) {
      writeFileSync(join(dir, file), content, { mode: 0o600 });
      env[name] = join(dir, file);
    }
    return env;
  }

  /**
   * The bus's TLS server certificate (issued by the test PKI for localhost and 127.0.0.1) written
   * to `dir`, as the TLS settings of a bus; `ca` is what a client trusts to verify it.
   */
  async serverTls(
    dir: string,
    options: Partial<Pick<TlsSettings, 'plaintext' | 'caFile'>> = {},
  ): Promise<{ tls: TlsSettings; ca: string }> {
    await this.pki.issueServer();
    writeFileSync(join(dir, 'server.crt'), this.pki.serverChainPem());
    writeFileSync(join(dir, 'server.key'), await privateKeyPem(this.pki.server!.keys.privateKey), {
      mode: 0o600,
    });
    return {
      tls: {
        certFile: join(dir, 'server.crt'),
        keyFile: join(dir, 'server.key'),
        caFile: options.caFile ?? null,
        plaintext: options.plaintext ?? 'redirect',
        ticketRotationSeconds: 3600,
      },
      ca: this.pki.trustAnchorsPem(),
    };
  }

  async signing(organId: string): Promise<SigningCredentials> {
    return credentials(await this.pki.issueEndpoint(organId));
  }

  async badSigning(which: BadCase): Promise<SigningCredentials> {
    return credentials(this.pki.bad.get(which)!);
  }

  /** Takes the OCSP/CRL responder off the network (connections refused). */
  async stopResponder(): Promise<void> {
    await this.responder.close();
  }

  async restartResponder(): Promise<void> {
    await this.responder.listen(this.port);
  }

  async close(): Promise<void> {
    await this.responder.close();
  }
}

async function credentials(issued: Issued): Promise<SigningCredentials> {
  return {
    keyPem: await privateKeyPem(issued.keys.privateKey),
    certificatePem: issued.certificate.toString('pem'),
  };
}
