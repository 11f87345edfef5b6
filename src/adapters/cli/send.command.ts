import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { EdocBusClient, type ReceivedReceipt } from '../amqp/sdk';
import { loadConfig } from '../config/bus-config';
import { DEFAULT_CREDENTIALS_DIR, readCredentials } from './credentials';

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
    .action(
      async (
        file: string,
        opts: { as: string; kind: 'edoc' | 'status'; credentialsDir: string; timeout: string },
      ) => {
        const config = loadConfig();
        const credentials = readCredentials(opts.credentialsDir, opts.as);
        const client = await EdocBusClient.connect({
          url: credentials.amqpUrl || config.amqpUrl,
          autoArrivedStatus: false,
        });
        try {
          const receipts = new Map<string, ReceivedReceipt>();
          let wake: () => void = () => undefined;
          client.onReceipt((r) => {
            if (r.correlationId) receipts.set(r.correlationId, r);
            wake();
          });
          await client.start();
          const { messageId } = await client.send(readFileSync(file), { kind: opts.kind });
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
        }
      },
    );
}
