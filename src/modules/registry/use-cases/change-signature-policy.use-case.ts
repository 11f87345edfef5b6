import { Injectable } from '@nestjs/common';
import { IsIn, IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { Clock } from '../../shared/clock';
import { createCommand } from '../../shared/command';
import { SIGNATURE_POLICIES, type SignaturePolicy } from '../../trust/policy/signature-policy';
import { Directory } from '../directory';
import type { Endpoint } from '../domain/endpoint';
import { EndpointRepository } from '../endpoint-repository.port';
import { existingEndpoint } from '../existing-endpoint';

export class ChangeSignaturePolicyCommand {
  @IsString() @IsNotEmpty() code!: string;
  @IsIn(SIGNATURE_POLICIES) policy!: SignaturePolicy;
  @IsString() @IsNotEmpty() @MaxLength(500) reason!: string;
  @IsString() @IsNotEmpty() actor!: string;

  static create(props: ChangeSignaturePolicyCommand): ChangeSignaturePolicyCommand {
    return createCommand(ChangeSignaturePolicyCommand, props);
  }
}

/** Sets how strictly an endpoint's signatures are checked; who, when and why are kept with it. */
@Injectable()
export class ChangeSignaturePolicy {
  constructor(
    private readonly repository: EndpointRepository,
    private readonly directory: Directory,
    private readonly clock: Clock,
  ) {}

  async execute(command: ChangeSignaturePolicyCommand): Promise<Endpoint> {
    const endpoint = await existingEndpoint(this.repository, command.code);
    await this.repository.setSignaturePolicy(endpoint.organId, command.policy, {
      organId: endpoint.organId,
      action: 'policy',
      actor: command.actor,
      reason: `${endpoint.signaturePolicy} → ${command.policy}: ${command.reason}`,
      at: this.clock.now(),
    });
    this.directory.invalidate();
    return { ...endpoint, signaturePolicy: command.policy };
  }
}
