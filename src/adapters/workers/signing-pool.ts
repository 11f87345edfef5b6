import { join } from 'node:path';
import Piscina from 'piscina';
import { derFromPem } from '../../modules/trust/pki/certificate-facts';
import type { SigningTask } from './signing.worker';

/** A signing key and certificate (chain), as PEM. */
export interface SigningCredentials {
  keyPem: string;
  /** The signer's certificate, optionally followed by intermediates. */
  certificatePem: string;
}

/**
 * Signs edXML packages off the event loop (libxml2 canonicalization in a worker thread), for the
 * SDK, the CLI and the benchmark. One small pool per process, started on first use.
 */
export class SigningPool {
  private static shared: SigningPool | null = null;
  private readonly pool: Piscina<SigningTask, string>;

  constructor(threads = 1) {
    const fromTypeScriptSources = __filename.endsWith('.ts');
    this.pool = new Piscina({
      filename: join(__dirname, 'worker-entry.js'),
      workerData: {
        fromTypeScriptSources,
        modulePath: join(__dirname, `signing.worker.${fromTypeScriptSources ? 'ts' : 'js'}`),
      },
      minThreads: 0,
      maxThreads: threads,
      idleTimeout: 5_000,
    });
  }

  static get instance(): SigningPool {
    SigningPool.shared ??= new SigningPool();
    return SigningPool.shared;
  }

  async sign(xml: Uint8Array | string, credentials: SigningCredentials): Promise<string> {
    const certificates = derFromPem(credentials.certificatePem).map((d) => d.toString('base64'));
    if (certificates.length === 0) throw new Error('the signing certificate PEM holds no certificate');
    return this.pool.run({
      xml: typeof xml === 'string' ? xml : Buffer.from(xml).toString('utf8'),
      keyPem: credentials.keyPem,
      certificates,
    });
  }

  async close(): Promise<void> {
    await this.pool.destroy();
    if (SigningPool.shared === this) SigningPool.shared = null;
  }
}
