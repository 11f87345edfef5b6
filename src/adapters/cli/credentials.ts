import { listOf } from '../config/bus-config';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { IssuedBridgeCredentials } from '../../modules/registry/bridge-credentials.port';
import type { BrokerCredentials } from '../../modules/registry/broker-access.port';

export const DEFAULT_CREDENTIALS_DIR = '.edoc-bus/credentials';

export interface EndpointCredentialsFile extends BrokerCredentials {
  amqpUrl: string;
}

/**
 * The AMQP URL an endpoint's DMS connects with: the bus's broker address and the endpoint's user
 * — or, for a certificate login, no user at all (EXTERNAL over amqps://, port 5671 by default).
 * For a cluster (the bus's nodes comma-separated) the same for each node, comma-separated.
 */
export function endpointAmqpUrl(busAmqpUrl: string, credentials: BrokerCredentials): string {
  return listOf(busAmqpUrl)
    .map((node) => endpointNodeUrl(node, credentials))
    .join(',');
}

function endpointNodeUrl(busAmqpUrl: string, credentials: BrokerCredentials): string {
  const u = new URL(busAmqpUrl);
  if (credentials.auth === 'cert') {
    u.username = '';
    u.password = '';
    if (u.protocol === 'amqp:') {
      u.protocol = 'amqps:';
      u.port = '5671';
    }
    return u.toString();
  }
  u.username = encodeURIComponent(credentials.username);
  u.password = encodeURIComponent(credentials.password);
  return u.toString();
}

/** Written with mode 0600 in a git-ignored directory: these are secrets. */
export function writeCredentials(dir: string, busAmqpUrl: string, credentials: BrokerCredentials): string {
  const target = resolve(dir);
  mkdirSync(target, { recursive: true, mode: 0o700 });
  const file = join(target, `${credentials.organId}.json`);
  const content: EndpointCredentialsFile = {
    ...credentials,
    amqpUrl: endpointAmqpUrl(busAmqpUrl, credentials),
  };
  writeFileSync(file, JSON.stringify(content, null, 2) + '\n', { mode: 0o600 });
  return file;
}

export function readCredentials(dir: string, organId: string): EndpointCredentialsFile {
  const file = join(resolve(dir), `${organId}.json`);
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as EndpointCredentialsFile;
  } catch {
    throw new Error(`No credentials for ${organId} in ${file}; run: edoc-bus endpoints provision ${organId}`);
  }
}

/** A bridge endpoint's credentials for its operator: axis SDK system id + secret, REST token. */
export function writeBridgeCredentials(dir: string, credentials: IssuedBridgeCredentials): string {
  const target = resolve(dir);
  mkdirSync(target, { recursive: true, mode: 0o700 });
  const file = join(target, `${credentials.organId}.bridge.json`);
  writeFileSync(file, JSON.stringify({ transport: 'bridge', ...credentials }, null, 2) + '\n', {
    mode: 0o600,
  });
  return file;
}
