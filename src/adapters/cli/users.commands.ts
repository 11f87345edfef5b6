import type { Command } from 'commander';
import { AddConsoleUser } from '../../modules/console/use-cases/add-console-user.use-case';
import { InvalidCommandError } from '../../modules/shared/command';
import { withBus } from './run';

/** `edoc-bus users add`: console users (admin, operator, auditor). */
export function registerUserCommands(program: Command): void {
  const users = program.command('users').description('console users');
  users
    .command('add <username>')
    .description('create a console user, or reset its password and role')
    .requiredOption('--role <role>', 'admin | operator | auditor')
    .option('--password <password>', 'at least 12 characters (default: $EDOC_CONSOLE_PASSWORD)')
    .action((username: string, opts: { role: string; password?: string }) =>
      withBus(async (app) => {
        const password = opts.password ?? process.env['EDOC_CONSOLE_PASSWORD'];
        if (!password)
          throw new InvalidCommandError('users add', ['give --password or set EDOC_CONSOLE_PASSWORD']);
        await app.get(AddConsoleUser).execute({ username, password, role: opts.role });
        console.log(`console user ${username} (${opts.role}) saved; log in at /console`);
      }),
    );
}
