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
 * HTTP, SOAP or REST). New copies go the new way at once. The credentials of the transport it
 * leaves stop working first (its broker user is deleted, or its bridge secret and token), so an
 * endpoint never holds two ways in; provisioning it afterwards issues those of the new transport.
 * Copies already waiting in the old inbox stay there (durable, shown as backlog) until they are
 * taken after a move back.
 */
@Injectable()
export class ChangeEndpointTransport {
  constructor(
    private readonly repository: EndpointRepository,
    private readonly directory: Directory,
    private readonly brokerAccess: BrokerAccessProvisioner,
    private readonly bridgeCredentials: BridgeCredentials,
    private readonly clock: Clock,
  ) {}

  async execute(command: ChangeEndpointTransportCommand): Promise<Endpoint> {
    const endpoint = await existingEndpoint(this.repository, command.code);
    if (endpoint.transport === command.transport) return endpoint;
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
    return { ...endpoint, transport: command.transport };
  }
}
