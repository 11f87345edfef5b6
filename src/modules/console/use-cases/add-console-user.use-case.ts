import { Injectable } from '@nestjs/common';
import { Clock } from '../../shared/clock';
import { DomainRuleError } from '../../shared/errors';
import { ConsoleUserRepository, PasswordHasher } from '../console-users.port';
import { CONSOLE_ROLES, type ConsoleRole } from '../domain/console-user';

/** `edoc-bus users add`: creates a console user or resets its password and role. */
@Injectable()
export class AddConsoleUser {
  constructor(
    private readonly users: ConsoleUserRepository,
    private readonly hasher: PasswordHasher,
    private readonly clock: Clock,
  ) {}

  async execute(command: { username: string; password: string; role: string }): Promise<void> {
    if (!/^[a-z0-9._@-]{3,64}$/i.test(command.username))
      throw new DomainRuleError('user-name', 'a user name is 3–64 letters, digits or . _ @ -');
    if (!CONSOLE_ROLES.includes(command.role as ConsoleRole))
      throw new DomainRuleError('user-role', `the role is one of ${CONSOLE_ROLES.join(', ')}`);
    if (command.password.length < 12)
      throw new DomainRuleError('user-password', 'a console password has at least 12 characters');
    await this.users.save(
      {
        username: command.username,
        passwordHash: await this.hasher.hash(command.password),
        role: command.role as ConsoleRole,
      },
      this.clock.now(),
    );
  }
}
