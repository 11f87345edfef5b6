import { Injectable } from '@nestjs/common';
import { IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { Clock } from '../../shared/clock';
import { createCommand } from '../../shared/command';
import { DomainRuleError } from '../../shared/errors';
import { Directory } from '../directory';
import type { OrganAlias } from '../domain/endpoint';
import { canonicalOrganCode } from '../domain/organ-code';
import { EndpointRepository } from '../endpoint-repository.port';

export class AddAliasCommand {
  @IsString() @IsNotEmpty() closedCode!: string;
  @IsString() @IsNotEmpty() successorCode!: string;
  @IsOptional() @IsString() @MaxLength(500) reason?: string;
  @IsString() @IsNotEmpty() actor!: string;

  static create(props: AddAliasCommand): AddAliasCommand {
    return createCommand(AddAliasCommand, props);
  }
}

/** Makes mail for a closed organ code go to its successor. */
@Injectable()
export class AddAlias {
  constructor(
    private readonly repository: EndpointRepository,
    private readonly directory: Directory,
    private readonly clock: Clock,
  ) {}

  async execute(command: AddAliasCommand): Promise<OrganAlias> {
    const closedCode = canonicalOrganCode(command.closedCode);
    const successorCode = canonicalOrganCode(command.successorCode);
    if (!closedCode || !successorCode)
      throw new DomainRuleError('organ-code', 'Both codes must be valid organ codes');
    if (closedCode === successorCode)
      throw new DomainRuleError('alias-loop', 'A code cannot be its own successor');
    if (!(await this.repository.findOne(successorCode))) {
      throw new DomainRuleError(
        'endpoint-unknown',
        `The successor ${successorCode} is not a registered endpoint`,
      );
    }
    const aliases = new Map(
      (await this.repository.findAllAliases()).map((a) => [a.closedCode, a.successorCode]),
    );
    for (let code: string | undefined = successorCode, hops = 0; code; code = aliases.get(code), hops++) {
      if (code === closedCode || hops > 16)
        throw new DomainRuleError('alias-loop', 'The alias would create a loop');
    }
    const alias: OrganAlias = {
      closedCode,
      successorCode,
      effectiveFrom: this.clock.now().toISOString().slice(0, 10),
      reason: command.reason ?? null,
    };
    await this.repository.saveAlias(alias, {
      organId: closedCode,
      action: 'alias',
      actor: command.actor,
      reason: `→ ${successorCode}${command.reason ? `: ${command.reason}` : ''}`,
      at: this.clock.now(),
    });
    this.directory.invalidate();
    return alias;
  }
}
