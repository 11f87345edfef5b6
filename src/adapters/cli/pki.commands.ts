import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DEFAULT_PKI_DIR } from '../config/bus-config';
import { developmentKit, type PkiResponderHandle } from './development-kit';

export const DEFAULT_PKI_URL = 'http://127.0.0.1:8889';

export function registerPkiCommands(program: Command): void {
  const pki = program
    .command('pki')
    .description('the test PKI (development and tests; production trusts the government CAs)');

  pki
    .command('init')
    .description(
      'generate a test PKI: root, issuing CAs, one signing certificate per endpoint, the bus certificate and its TLS server certificate, bad cases',
    )
    .option('--out <dir>', 'where to write the PEM files', DEFAULT_PKI_DIR)
    .option(
      '--url <base>',
      'base URL of `edoc-bus pki serve` (CRL and OCSP addresses in the certificates)',
      DEFAULT_PKI_URL,
    )
    .option('--organ <code...>', 'also issue certificates for these organ codes')
    .option(
      '--server-name <name...>',
      'host names of the bus for its TLS server certificate (localhost and 127.0.0.1 always)',
    )
    .option('--force', 'replace an existing PKI in that directory')
    .action(
      async (opts: {
        out: string;
        url: string;
        organ?: string[];
        serverName?: string[];
        force?: boolean;
      }) => {
        const dir = resolve(opts.out);
        if (existsSync(join(dir, 'pki.json')) && !opts.force) {
          console.log(`a test PKI already exists in ${dir} (use --force to replace it)`);
          return;
        }
        const files = await initPki(dir, opts.url, opts.organ ?? [], opts.serverName ?? []);
        console.log(
          `test PKI written to ${dir} (${files} files, the bus's TLS certificate in server.crt and server.key); serve its CRLs and OCSP with: edoc-bus pki serve`,
        );
      },
    );

  pki
    .command('server-cert')
    .description('issue the bus’s TLS server certificate into an existing test PKI that has none')
    .option('--dir <dir>', 'the PKI directory', DEFAULT_PKI_DIR)
    .option('--server-name <name...>', 'host names of the bus (localhost and 127.0.0.1 always)')
    .action(async (opts: { dir: string; serverName?: string[] }) => {
      const issued = await ensureServerCertificate(resolve(opts.dir), opts.serverName ?? []);
      console.log(issued ? `issued ${join(resolve(opts.dir), 'server.crt')}` : 'nothing to do');
    });

  pki
    .command('serve')
    .description('serve the test PKI’s CRLs and OCSP responses')
    .option('--dir <dir>', 'the PKI directory', DEFAULT_PKI_DIR)
    .option('--port <port>', 'port', '8889')
    .option('--validity <seconds>', 'freshness of each answer (nextUpdate)', '3600')
    .action(async (opts: { dir: string; port: string; validity: string }) => {
      const responder = await servePki(resolve(opts.dir), Number(opts.port), Number(opts.validity));
      console.log(`test PKI responder on http://127.0.0.1:${opts.port} (CRL /crl/<ca>.crl, OCSP /ocsp/<ca>)`);
      await new Promise<void>((r) => process.once('SIGINT', r));
      await responder.close();
    });
}

/** Generates the test PKI for the 95 endpoints (and `extraOrgans`) and writes it; returns the file count. */
export function initPki(
  dir: string,
  baseUrl: string,
  extraOrgans: string[] = [],
  serverNames: string[] = [],
) {
  return developmentKit().initPki(dir, baseUrl, extraOrgans, serverNames);
}

/**
 * Gives a test PKI written before the bus had a TLS certificate its `server.crt` and `server.key`
 * (nothing else is touched); returns whether it had to.
 */
export function ensureServerCertificate(dir: string, names: string[] = []): Promise<boolean> {
  return developmentKit().ensureServerCertificate(dir, names);
}

export function servePki(dir: string, port: number, validitySeconds = 3600): Promise<PkiResponderHandle> {
  return developmentKit().servePki(dir, port, validitySeconds);
}
