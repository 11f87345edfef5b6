import { Injectable } from '@nestjs/common';
import { IsIn, IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { Clock } from '../../shared/clock';
import { createCommand } from '../../shared/command';
import { BridgeCredentials } from '../bridge-credentials.port';
import { BrokerAccessProvisioner } from '../broker-access.port';
import { Directory } from '../directory';
import type { Endpoint, Transport } from '../domain/endpoint';
import { EndpointRepository } from '../endpoint-repository.port';
import { existingEndpoint } from '../existing-endpoint';
import { QueuedMail } from '../queued-mail.port';

export class ChangeEndpointTransportCommand {
  @IsString() @IsNotEmpty() code!: string;
  @IsIn(['amqp', 'bridge']) transport!: Transport;
  @IsString() @IsNotEmpty() @MaxLength(500) reason!: string;
  @IsString() @IsNotEmpty() actor!: string;

  static create(props: ChangeEndpointTransportCommand): ChangeEndpointTransportCommand {
    return createCommand(ChangeEndpointTransportCommand, props);
  }
}

/**
 * Moves an endpoint between AMQP (a broker inbox) and the bridges (a pull inbox polled over
 * HTTP, SOAP or REST). The credentials of the transport it leaves stop working first (its broker
 * user is deleted, or its bridge secret and token), so an endpoint never holds two ways in;
 * provisioning it afterwards issues those of the new transport. New mail goes the new way once
 * every bus process has reloaded the registry (DIRECTORY_TTL_MS); mail waiting on the old channel
 * moves over: pull inbox items not yet taken become outbox rows for its broker inbox; outbox rows
 * not yet published and the messages its broker inbox holds become pull inbox items. Running the
 * same change again moves what arrived on the old channel in the meantime (a bus process that had
 * not reloaded yet).
 */
@Injectable()
export class ChangeEndpointTransport {
  constructor(
    private readonly repository: EndpointRepository,
    private readonly directory: Directory,
    private readonly brokerAccess: BrokerAccessProvisioner,
    private readonly bridgeCredentials: BridgeCredentials,
    private readonly queuedMail: QueuedMail,
    private readonly clock: Clock,
  ) {}

  async execute(command: ChangeEndpointTransportCommand): Promise<Endpoint & { movedMessages: number }> {
    const endpoint = await existingEndpoint(this.repository, command.code);
    if (endpoint.transport === command.transport) {
      return {
        ...endpoint,
        movedMessages: await this.queuedMail.rehome(endpoint.organId, endpoint.transport),
      };
    }
    // Revoked before the move is recorded: a failure here leaves the endpoint where it was.
    const revoked =
      endpoint.transport === 'amqp'
        ? (await this.brokerAccess.revoke(endpoint.organId), 'broker login revoked')
        : (await this.bridgeCredentials.revoke(endpoint.organId), 'bridge secret and token revoked');
    await this.repository.setTransport(endpoint.organId, command.transport, {
      organId: endpoint.organId,
      action: 'transport',
      actor: command.actor,
      reason: `${endpoint.transport} → ${command.transport} (${revoked}): ${command.reason}`,
      at: this.clock.now(),
    });
    this.directory.invalidate();
    const movedMessages = await this.queuedMail.rehome(endpoint.organId, command.transport);
    return { ...endpoint, transport: command.transport, movedMessages };
  }
}
