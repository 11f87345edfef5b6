import type { Command } from 'commander';
import { mkdirSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { resolve } from 'node:path';
import { SingleBar } from 'cli-progress';
import {
  checkpointSignatureValid,
  verifyAuditExport,
  type AuditExportManifest,
} from '../../modules/audit/domain/audit-verification';
import { ExportAuditTrail } from '../../modules/audit/use-cases/export-audit-trail.use-case';
import { InvalidCommandError } from '../../modules/shared/command';
import { AuditExportWriter, readAuditExport } from '../files/audit-export-files';
import { withBus } from './run';

function date(option: string, value: string): Date {
  const d = new Date(value);
  if (Number.isNaN(d.getTime()))
    throw new InvalidCommandError('audit export', [`${option}: not a date: ${value}`]);
  return d;
}

/** Reads an export for `verify`; a file cut short is the auditor's mistake, said plainly. */
function readExport(path: string): ReturnType<typeof readAuditExport> {
  try {
    return readAuditExport(path);
  } catch (error) {
    if (error instanceof Error && /cut short/.test(error.message))
      throw new InvalidCommandError('audit verify', [error.message]);
    throw error;
  }
}

/**
 * `edoc-bus audit export|verify`: the auditor's trail. An export is a directory of JSON Lines and
 * CSV with a manifest, the chain segment and the signed checkpoints; `verify` checks it offline.
 */
export function registerAuditCommands(program: Command): void {
  const audit = program
    .command('audit')
    .description('the tamper-evident audit trail: export and verify offline');

  audit
    .command('export')
    .description(
      'entries of a period (optionally one endpoint or document) with the chain and signed checkpoints',
    )
    .requiredOption('--from <date>', 'start (ISO date or time, inclusive)')
    .requiredOption('--to <date>', 'end (exclusive)')
    .option('--endpoint <code>', 'only entries concerning this endpoint')
    .option('--document <busId>', 'only entries concerning this package')
    .requiredOption('--out <dir>', 'directory to write (created)')
    .action((opts: { from: string; to: string; endpoint?: string; document?: string; out: string }) =>
      withBus(async (app) => {
        const dir = resolve(opts.out);
        mkdirSync(dir, { recursive: true });
        const writer = new AuditExportWriter(dir);
        const bar = process.stderr.isTTY ? new SingleBar({ format: 'chain {bar} {value}/{total}' }) : null;
        let started = false;
        const manifest: AuditExportManifest = await app.get(ExportAuditTrail).execute(
          {
            from: date('--from', opts.from),
            to: date('--to', opts.to),
            endpoint: opts.endpoint ?? null,
            document: opts.document ?? null,
          },
          writer.sink((written, total) => {
            if (!bar) return;
            if (!started) bar.start(total, 0);
            started = true;
            bar.update(written);
          }),
        );
        bar?.stop();
        await writer.finish(manifest);
        console.log(
          `exported ${manifest.counts.entries} entries, chain ${manifest.firstSeq}…${manifest.lastSeq} (${manifest.counts.links} links), ${manifest.counts.checkpoints} signed checkpoints to ${dir}`,
        );
      }),
    );

  audit
    .command('verify <export>')
    .description(
      'check an export offline (a directory from audit export, or the .jsonl file the console downloads): hash chain, entries, checkpoint signatures, counts',
    )
    .action((dirArg: string) => {
      const { manifest, entries, links, checkpoints } = readExport(resolve(dirArg));
      const result = verifyAuditExport(manifest, entries, links, checkpoints, checkpointSignatureValid);
      if (result.ok) {
        const signer = checkpoints[0]
          ? new X509Certificate(checkpoints[0].certificate).subject.replace(/\n/g, ', ')
          : '';
        console.log(
          `OK: ${result.entriesChecked} entries, ${result.linksChecked} chain links, ${result.checkpointsChecked} signed checkpoints (signed by ${signer})`,
        );
        return;
      }
      for (const p of result.problems) console.error(`FAILED: ${p}`);
      process.exitCode = 1;
    });
}
