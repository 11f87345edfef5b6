import { Injectable } from '@nestjs/common';
import { IsIn, IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { Clock } from '../../shared/clock';
import { createCommand } from '../../shared/command';
import { DomainRuleError } from '../../shared/errors';
import { Directory } from '../directory';
import type { Endpoint, EndpointStatus } from '../domain/endpoint';
import { EndpointRepository } from '../endpoint-repository.port';
import { existingEndpoint } from '../existing-endpoint';

export type StatusAction = 'lock' | 'unlock' | 'close';

export class ChangeEndpointStatusCommand {
  @IsString() @IsNotEmpty() code!: string;
  @IsIn(['lock', 'unlock', 'close']) action!: StatusAction;
  /** Operators always say why: the reason is kept with the change. */
  @IsString() @IsNotEmpty() @MaxLength(500) reason!: string;
  @IsString() @IsNotEmpty() actor!: string;

  static create(props: ChangeEndpointStatusCommand): ChangeEndpointStatusCommand {
    return createCommand(ChangeEndpointStatusCommand, props);
  }
}

const TARGET: Record<StatusAction, EndpointStatus> = { lock: 'locked', unlock: 'active', close: 'closed' };

/**
 * Locks an endpoint (its packages are refused and nothing is routed to it), unlocks it, or closes
 * it for good (its mail then follows its alias, if one exists).
 */
@Injectable()
export class ChangeEndpointStatus {
  constructor(
    private readonly repository: EndpointRepository,
    private readonly directory: Directory,
    private readonly clock: Clock,
  ) {}

  async execute(command: ChangeEndpointStatusCommand): Promise<Endpoint> {
    const endpoint = await existingEndpoint(this.repository, command.code);
    if (endpoint.status === 'closed') {
      throw new DomainRuleError(
        'endpoint-closed',
        `Endpoint ${endpoint.organId} is closed; add it again to reopen it`,
      );
    }
    const status = TARGET[command.action];
    await this.repository.setStatus(endpoint.organId, status, command.reason, {
      organId: endpoint.organId,
      action: command.action,
      actor: command.actor,
      reason: command.reason,
      at: this.clock.now(),
    });
    this.directory.invalidate();
    return { ...endpoint, status, statusReason: command.reason };
  }
}
