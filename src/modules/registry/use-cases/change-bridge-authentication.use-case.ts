import { Injectable } from '@nestjs/common';
import { IsIn, IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { Clock } from '../../shared/clock';
import { createCommand } from '../../shared/command';
import { Directory } from '../directory';
import { BRIDGE_AUTH_MODES, type BridgeAuth, type Endpoint } from '../domain/endpoint';
import { EndpointRepository } from '../endpoint-repository.port';
import { existingEndpoint } from '../existing-endpoint';

export class ChangeBridgeAuthenticationCommand {
  @IsString() @IsNotEmpty() code!: string;
  @IsIn(BRIDGE_AUTH_MODES) mode!: BridgeAuth;
  @IsString() @IsNotEmpty() @MaxLength(500) reason!: string;
  @IsString() @IsNotEmpty() actor!: string;

  static create(props: ChangeBridgeAuthenticationCommand): ChangeBridgeAuthenticationCommand {
    return createCommand(ChangeBridgeAuthenticationCommand, props);
  }
}

/**
 * Sets what a bridge endpoint's calls must carry: its shared secret, its organ's certificate in the
 * TLS handshake, or both. Recorded (who, when, why) and audited like the other endpoint changes;
 * it applies from the next call.
 */
@Injectable()
export class ChangeBridgeAuthentication {
  constructor(
    private readonly repository: EndpointRepository,
    private readonly directory: Directory,
    private readonly clock: Clock,
  ) {}

  async execute(command: ChangeBridgeAuthenticationCommand): Promise<Endpoint> {
    const endpoint = await existingEndpoint(this.repository, command.code);
    await this.repository.setBridgeAuth(endpoint.organId, command.mode, {
      organId: endpoint.organId,
      action: 'auth',
      actor: command.actor,
      reason: `${endpoint.bridgeAuth} → ${command.mode}: ${command.reason}`,
      at: this.clock.now(),
    });
    this.directory.invalidate();
    return { ...endpoint, bridgeAuth: command.mode };
  }
}
