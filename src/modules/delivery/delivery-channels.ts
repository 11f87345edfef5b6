import { Injectable } from '@nestjs/common';
import { Directory } from '../registry/directory';
import { channelFor, type ChannelOf } from './domain/channel';

/**
 * Tells a use case, before it writes, which channel each destination reads, from the registry's
 * snapshot: the channel is decided when the message is committed and written on it (a broker
 * inbox's outbox row, or the pull inbox item itself), not asked again when it is carried out.
 */
@Injectable()
export class DeliveryChannels {
  constructor(private readonly directory: Directory) {}

  async current(): Promise<ChannelOf> {
    const view = await this.directory.view();
    return (organId) => channelFor(view.endpoint(organId)?.transport);
  }
}
