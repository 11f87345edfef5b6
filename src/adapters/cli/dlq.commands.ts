import type { Command } from 'commander';
import {
  ListDeadLetters,
  ShowDeadLetter,
} from '../../modules/dead-letters/use-cases/list-dead-letters.use-case';
import { RedeliverDeadLetter } from '../../modules/dead-letters/use-cases/redeliver-dead-letter.use-case';
import { InvalidCommandError } from '../../modules/shared/command';
import { operator } from './endpoints.commands';
import { withBus } from './run';
import { formatTable } from './table';

const PREVIEW_BYTES = 2000;

/**
 * `edoc-bus dlq`: messages that could not be processed after repeated attempts (by the bus, or by
 * a recipient's system), kept in the database with the reason. An operator looks, fixes the
 * cause, and redelivers; each redelivery is recorded with who, why and when.
 */
export function registerDeadLetterCommands(program: Command): void {
  const dlq = program.command('dlq').description('dead letters: inspect and redeliver');

  dlq
    .command('list')
    .description('newest first')
    .option('--queue <name>', 'only those that died in this queue (e.g. edoc.inbox.000.00.00.H41)')
    .option('--pending', 'only those never redelivered')
    .option('--limit <n>', 'how many', '50')
    .option('--json', 'machine-readable output')
    .action((opts: { queue?: string; pending?: boolean; limit: string; json?: boolean }) =>
      withBus(async (app) => {
        const letters = await app
          .get(ListDeadLetters)
          .execute({ queue: opts.queue, pendingOnly: opts.pending, limit: Number(opts.limit) || 50 });
        if (opts.json) {
          console.log(JSON.stringify(letters, null, 2));
          return;
        }
        if (letters.length === 0) {
          console.log('no dead letters');
          return;
        }
        console.log(
          formatTable(
            ['id', 'died', 'queue', 'type', 'from', 'bytes', 'redelivered', 'reason'],
            letters.map((l) => [
              l.id,
              l.deadAt.toISOString(),
              l.queue,
              l.messageType ?? '',
              l.userId ?? '',
              l.size,
              l.redeliveries,
              l.reason.length > 80 ? `${l.reason.slice(0, 77)}...` : l.reason,
            ]),
          ),
        );
      }),
    );

  dlq
    .command('show <id>')
    .description('one dead letter: reason, headers, redeliveries and the start of the body')
    .option('--body', 'write the whole body to stdout, nothing else')
    .action((id: string, opts: { body?: boolean }) =>
      withBus(async (app) => {
        const letter = await app.get(ShowDeadLetter).execute(id);
        if (!letter) throw new InvalidCommandError('dlq show', [`no dead letter ${id}`]);
        if (opts.body) {
          process.stdout.write(Buffer.from(letter.body));
          return;
        }
        const body = Buffer.from(letter.body);
        console.log(`id:          ${letter.id}`);
        console.log(`died:        ${letter.deadAt.toISOString()} in ${letter.queue}`);
        console.log(`reason:      ${letter.reason}`);
        console.log(
          `message:     ${letter.messageId ?? '(no id)'} type=${letter.messageType ?? '(none)'} from=${letter.userId ?? '(unknown)'}`,
        );
        console.log(`headers:     ${JSON.stringify(letter.headers)}`);
        console.log(`redelivered: ${letter.redeliveries.length === 0 ? 'never' : ''}`);
        for (const r of letter.redeliveries)
          console.log(`  ${r.at.toISOString()} by ${r.actor}: ${r.reason}`);
        console.log(`body:        ${body.length} bytes`);
        console.log(body.subarray(0, PREVIEW_BYTES).toString('utf8'));
        if (body.length > PREVIEW_BYTES)
          console.log(`… (${body.length - PREVIEW_BYTES} more bytes; --body for all)`);
      }),
    );

  dlq
    .command('redeliver <ids...>')
    .description('send dead letters back to the queue they died in (after fixing the cause)')
    .requiredOption('--reason <text>', 'what was fixed: recorded with the redelivery')
    .option('--actor <name>', 'who redelivers (default: cli:<os user>)')
    .action((ids: string[], opts: { reason: string; actor?: string }) =>
      withBus(async (app) => {
        let failed = 0;
        for (const id of ids) {
          const r = await app
            .get(RedeliverDeadLetter)
            .execute({ id, actor: opts.actor ?? operator(), reason: opts.reason });
          if (r.outcome === 'redelivered') {
            console.log(`${id}: redelivered to ${r.queue} (redelivery ${r.redeliveries})`);
          } else {
            failed++;
            console.error(`${id}: ${r.outcome === 'not-found' ? 'no such dead letter' : r.why}`);
          }
        }
        if (failed > 0) process.exitCode = 1;
      }),
    );
}
