import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

/** A running test PKI responder (CRLs and OCSP). */
export interface PkiResponderHandle {
  close(): Promise<void>;
}

/**
 * What the CLI's development commands (`pki`, `demo`) need from the test PKI. The generator lives
 * in `tools/pki` with the bench and the chaos harness: the production build (and the Docker image)
 * leaves it out, so a production bus cannot mint certificates that its own trust store might be
 * pointed at. From a checkout, `npm run build:tools` (run by `npm run demo` and `npm start` when a
 * PKI has to be generated) builds it.
 */
export interface DevelopmentKit {
  /** Generates the test PKI for the 95 endpoints (and `extraOrgans`) into `dir`; returns the file count. */
  initPki(dir: string, baseUrl: string, extraOrgans: string[], serverNames: string[]): Promise<number>;
  /** Gives a test PKI written before the bus had a TLS certificate its server.crt and server.key. */
  ensureServerCertificate(dir: string, names: string[]): Promise<boolean>;
  servePki(dir: string, port: number, validitySeconds?: number): Promise<PkiResponderHandle>;
  /** One PAdES-signed PDF per sender, made on first use (null without a test PKI in `dir`). */
  signedPdfs(dir: string): (organId: string) => Promise<Buffer | null>;
}

/** dist/adapters/cli, or src/adapters/cli when the CLI runs from its sources (the tests) → the checkout. */
const ROOT = join(__dirname, '..', '..', '..');
const KIT = __filename.endsWith('.ts')
  ? join(ROOT, 'tools', 'pki', 'development-kit.ts')
  : join(ROOT, 'dist-tools', 'tools', 'pki', 'development-kit.js');

export function developmentKit(): DevelopmentKit {
  if (!existsSync(KIT)) {
    throw new Error(
      'the test PKI is a development tool and is not part of this build: in a checkout of edoc-bus, run `npm run build:tools` first',
    );
  }
  return (createRequire(__filename)(KIT) as { developmentKit: DevelopmentKit }).developmentKit;
}
