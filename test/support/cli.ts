import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { amqpNodesOf, databaseNodesOf, databaseUrlSetting } from '../../src/adapters/config/bus-config';
import type { TestBus } from './test-bus';

const MAIN = resolve(__dirname, '../../src/adapters/cli/main.ts');
const ROOT = resolve(__dirname, '../..');

export interface CliResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The environment that points the `edoc-bus` command at a test bus's database and vhost. */
export function cliEnv(bus: TestBus): Record<string, string> {
  return {
    DATABASE_URL: databaseUrlSetting(databaseNodesOf(bus.config)),
    AMQP_URL: amqpNodesOf(bus.config).join(','),
    RABBITMQ_MANAGEMENT_URL: bus.config.managementUrl,
    // The test bus's own broker users (never those of a live bus on the same broker).
    BROKER_USER_PREFIX: bus.config.brokerUserPrefix,
    LOG_LEVEL: 'warn',
    // Queue arguments must match the ones the bus declared.
    INGRESS_DELIVERY_LIMIT: String(bus.config.ingressDeliveryLimit),
    INBOX_DELIVERY_LIMIT: String(bus.config.inboxDeliveryLimit),
    BRIDGE_SECRETS_KEY_FILE: bus.config.bridge.secretsKeyFile,
  };
}

/** Starts the `edoc-bus` command as a separate process, from the TypeScript sources (no build needed). */
export function spawnCli(args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['-r', '@swc-node/register', MAIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
  });
}

/**
 * Runs the command to completion (killed after `timeoutMs`). Asynchronous on purpose: a bus under
 * test may run in this process and must keep working while the command waits for it.
 */
export function runCli(args: string[], env: Record<string, string>, timeoutMs = 60_000): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawnCli(args, env);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolvePromise({ status, signal, stdout, stderr });
    });
  });
}
