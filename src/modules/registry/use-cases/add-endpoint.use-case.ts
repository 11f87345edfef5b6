import { Injectable } from '@nestjs/common';
import { IsIn, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { Clock } from '../../shared/clock';
import { createCommand } from '../../shared/command';
import { DomainRuleError } from '../../shared/errors';
import { Directory } from '../directory';
import type { Endpoint, Transport } from '../domain/endpoint';
import { canonicalOrganCode, categoryOf, isQcvn102Code, qcvn102ToQd20 } from '../domain/organ-code';
import { EndpointRepository } from '../endpoint-repository.port';

export class AddEndpointCommand {
  @IsString() @IsNotEmpty() @MaxLength(64) code!: string;
  @IsString() @IsNotEmpty() @MaxLength(300) name!: string;
  @IsIn(['amqp', 'bridge']) transport!: Transport;
  /** Replace an existing endpoint's name and transport instead of refusing. */
  @IsOptional() update?: boolean;
  @IsString() @IsNotEmpty() actor!: string;

  static create(props: AddEndpointCommand): AddEndpointCommand {
    return createCommand(AddEndpointCommand, props);
  }
}

/** Registers a connection point, accepting its code in either official form. */
@Injectable()
export class AddEndpoint {
  constructor(
    private readonly repository: EndpointRepository,
    private readonly directory: Directory,
    private readonly clock: Clock,
  ) {}

  async execute(command: AddEndpointCommand): Promise<Endpoint> {
    const organId = canonicalOrganCode(command.code);
    if (!organId) throw new DomainRuleError('organ-code', `"${command.code}" is not a valid organ code`);
    const existing = await this.repository.findOne(organId);
    if (existing && !command.update) {
      throw new DomainRuleError(
        'endpoint-exists',
        `Endpoint ${organId} already exists (use --update to change it)`,
      );
    }
    const endpoint: Endpoint = {
      organId,
      codeQd20: isQcvn102Code(organId) ? qcvn102ToQd20(organId) : null,
      name: command.name.trim(),
      category: categoryOf(organId),
      transport: command.transport,
      status: existing?.status ?? 'active',
      statusReason: existing?.statusReason ?? null,
      signaturePolicy: existing?.signaturePolicy ?? 'strict',
      bridgeAuth: existing?.bridgeAuth ?? 'hmac',
    };
    await this.repository.save(endpoint, {
      organId,
      action: existing ? 'update' : 'add',
      actor: command.actor,
      reason: null,
      at: this.clock.now(),
    });
    this.directory.invalidate();
    return endpoint;
  }
}
