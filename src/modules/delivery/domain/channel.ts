import type { Transport } from '../../registry/domain/endpoint';

/**
 * How a message reaches its destination: published to the endpoint's broker inbox, or written
 * into its pull inbox, which a bridge endpoint polls over HTTP, SOAP or REST.
 */
export type Channel = 'broker' | 'pull';

/** Where each organ reads its mail, as the registry says now. */
export type ChannelOf = (organId: string) => Channel;

/**
 * Bridge endpoints poll; every other destination reads a broker inbox — an organ the registry
 * does not know too (a rejection's receipt to a claimed sender), where nobody is harmed by a
 * queue that no one reads.
 */
export function channelFor(transport: Transport | undefined): Channel {
  return transport === 'bridge' ? 'pull' : 'broker';
}
