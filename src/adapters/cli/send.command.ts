import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { EdocBusClient, type ReceivedReceipt } from '../amqp/sdk';
import { join } from 'node:path';
import { DEFAULT_PKI_DIR, loadConfig } from '../config/bus-config';
import { SigningPool, type SigningCredentials } from '../workers/signing-pool';
import { DEFAULT_CREDENTIALS_DIR, readCredentials } from './credentials';

interface SendOptions {
  as: string;
  kind: 'edoc' | 'status';
  credentialsDir: string;
  timeout: string;
  key?: string;
  cert?: string;
  sign: boolean;
}

function signingCredentials(opts: SendOptions): SigningCredentials {
  const key = opts.key ?? join(DEFAULT_PKI_DIR, 'endpoints', `${opts.as}.key`);
  const cert = opts.cert ?? join(DEFAULT_PKI_DIR, 'endpoints', `${opts.as}.crt`);
  try {
    return { keyPem: readFileSync(key, 'utf8'), certificatePem: readFileSync(cert, 'utf8') };
  } catch {
    throw new Error(
      `no signing key for ${opts.as} (${key}); run \`edoc-bus pki init\`, pass --key/--cert, or --no-sign`,
    );
  }
}

export function registerSendCommand(program: Command): void {
  program
    .command('send <file>')
    .description(
      'submit a package file as an endpoint (its provisioned credentials) and print the bus receipt',
    )
    .requiredOption('--as <organId>', 'the sending endpoint')
    .option('--kind <kind>', 'edoc or status', 'edoc')
    .option('--credentials-dir <dir>', 'where provisioned credentials are', DEFAULT_CREDENTIALS_DIR)
    .option('--timeout <seconds>', 'how long to wait for the receipt', '30')
    .option('--key <pem>', 'signing key (default: the test PKI key of the endpoint)')
    .option('--cert <pem>', 'signing certificate (default: the test PKI certificate of the endpoint)')
    .option('--no-sign', 'send the file as it is, unsigned (a signed file is never re-signed)')
    .action(async (file: string, opts: SendOptions) => {
      const config = loadConfig();
      const credentials = readCredentials(opts.credentialsDir, opts.as);
      const client = await EdocBusClient.connect({
        url: credentials.amqpUrl || config.amqpUrl,
        organId: credentials.organId,
        autoArrivedStatus: false,
        signing: opts.sign ? signingCredentials(opts) : undefined,
      });
      try {
        const receipts = new Map<string, ReceivedReceipt>();
        let wake: () => void = () => undefined;
        client.onReceipt((r) => {
          if (r.correlationId) receipts.set(r.correlationId, r);
          wake();
        });
        await client.start();
        const { messageId } = await client.send(readFileSync(file), { kind: opts.kind, sign: opts.sign });
        console.log(`sent ${file} as ${opts.as} (message id ${messageId}); waiting for the receipt…`);
        const deadline = Date.now() + Number(opts.timeout) * 1000;
        while (!receipts.has(messageId) && Date.now() < deadline) {
          await new Promise<void>((resolve) => {
            wake = resolve;
            setTimeout(resolve, 500);
          });
        }
        const receipt = receipts.get(messageId);
        if (!receipt)
          throw new Error(`no receipt within ${opts.timeout} s (the package may still be processed)`);
        console.log(receipt.body.toString('utf8'));
        process.exitCode = receipt.outcome === 'rejected' ? 2 : 0;
      } finally {
        await client.close();
        await SigningPool.instance.close();
      }
    });
}
