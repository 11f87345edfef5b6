import type { Command } from 'commander';
import {
  createWriteStream,
  mkdirSync,
  readFileSync,
  statSync,
  writeFileSync,
  type WriteStream,
} from 'node:fs';
import { verify as verifySignature, X509Certificate } from 'node:crypto';
import { join, resolve } from 'node:path';
import { SingleBar } from 'cli-progress';
import { checkpointMessage, type AuditEntry } from '../../modules/audit/domain/audit-chain';
import {
  verifyAuditExport,
  type AuditExportManifest,
  type ChainLink,
  type SignedCheckpoint,
} from '../../modules/audit/domain/audit-verification';
import { ExportAuditTrail } from '../../modules/audit/use-cases/export-audit-trail.use-case';
import { InvalidCommandError } from '../../modules/shared/command';
import { withBus } from './run';

const FILES = {
  manifest: 'manifest.json',
  entries: 'entries.jsonl',
  csv: 'entries.csv',
  chain: 'chain.jsonl',
  checkpoints: 'checkpoints.json',
};

function date(option: string, value: string): Date {
  const d = new Date(value);
  if (Number.isNaN(d.getTime()))
    throw new InvalidCommandError('audit export', [`${option}: not a date: ${value}`]);
  return d;
}

function write(stream: WriteStream, text: string): Promise<void> {
  return new Promise((r) => (stream.write(text) ? r() : stream.once('drain', () => r())));
}

function closeStream(stream: WriteStream): Promise<void> {
  return new Promise((r, j) => stream.end((e?: Error | null) => (e ? j(e) : r())));
}

function csvCell(value: unknown): string {
  const s = typeof value === 'string' ? value : JSON.stringify(value ?? '');
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Checkpoint signatures are checked against the certificate each carries (compare it with the bus's). */
function checkpointSignatureValid(c: SignedCheckpoint): boolean {
  try {
    const cert = new X509Certificate(c.certificate);
    return verifySignature(
      'sha256',
      checkpointMessage(c),
      cert.publicKey,
      Buffer.from(c.signature, 'base64'),
    );
  } catch {
    return false;
  }
}

interface ReadExport {
  manifest: AuditExportManifest;
  entries: AuditEntry[];
  links: ChainLink[];
  checkpoints: SignedCheckpoint[];
}

const withDate = <T extends { at: string }>(x: T) => ({ ...x, at: new Date(x.at) });

/** Reads an export: a directory (CLI) or one JSON Lines file (console download). */
function readExport(path: string): ReadExport {
  if (statSync(path).isFile()) {
    const out: Partial<ReadExport> & { entries: AuditEntry[]; links: ChainLink[] } = {
      entries: [],
      links: [],
    };
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      const { type, ...rest } = JSON.parse(line) as { type: string } & Record<string, unknown>;
      if (type === 'link') out.links.push(rest as unknown as ChainLink);
      else if (type === 'entry') out.entries.push(withDate(rest as unknown as AuditEntry & { at: string }));
      else if (type === 'checkpoints')
        out.checkpoints = (rest['items'] as Array<SignedCheckpoint & { at: string }>).map(withDate);
      else if (type === 'manifest') out.manifest = rest as unknown as AuditExportManifest;
    }
    if (!out.manifest || !out.checkpoints)
      throw new InvalidCommandError('audit verify', ['the file has no manifest: it is cut short']);
    return { manifest: out.manifest, entries: out.entries, links: out.links, checkpoints: out.checkpoints };
  }
  const read = (name: string) => readFileSync(join(path, name), 'utf8');
  const lines = (name: string) =>
    read(name)
      .split('\n')
      .filter((l) => l.trim() !== '');
  return {
    manifest: JSON.parse(read(FILES.manifest)) as AuditExportManifest,
    entries: lines(FILES.entries).map((l) => withDate(JSON.parse(l) as AuditEntry & { at: string })),
    links: lines(FILES.chain).map((l) => JSON.parse(l) as ChainLink),
    checkpoints: (JSON.parse(read(FILES.checkpoints)) as Array<SignedCheckpoint & { at: string }>).map(
      withDate,
    ),
  };
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
        const entries = createWriteStream(join(dir, FILES.entries));
        const csv = createWriteStream(join(dir, FILES.csv));
        const chain = createWriteStream(join(dir, FILES.chain));
        await write(csv, 'seq,at,kind,parties,package_id,actor,detail,entry_digest,hash\n');
        const bar = process.stderr.isTTY ? new SingleBar({ format: 'chain {bar} {value}/{total}' }) : null;
        let started = false;
        const manifest: AuditExportManifest = await app.get(ExportAuditTrail).execute(
          {
            from: date('--from', opts.from),
            to: date('--to', opts.to),
            endpoint: opts.endpoint ?? null,
            document: opts.document ?? null,
          },
          {
            entries: async (page: AuditEntry[]) => {
              for (const e of page) {
                await write(entries, JSON.stringify({ ...e, at: e.at.toISOString() }) + '\n');
                await write(
                  csv,
                  [
                    e.seq,
                    e.at.toISOString(),
                    e.kind,
                    e.parties.join(' '),
                    e.packageId,
                    e.actor,
                    e.detail,
                    e.entryDigest,
                    e.hash,
                  ]
                    .map(csvCell)
                    .join(',') + '\n',
                );
              }
            },
            links: async (page: ChainLink[]) => {
              for (const l of page) await write(chain, JSON.stringify(l) + '\n');
            },
            checkpoints: async (all) => {
              writeFileSync(join(dir, FILES.checkpoints), JSON.stringify(all, null, 2) + '\n');
            },
            progress: (written, total) => {
              if (!bar) return;
              if (!started) bar.start(total, 0);
              started = true;
              bar.update(written);
            },
          },
        );
        bar?.stop();
        await Promise.all([closeStream(entries), closeStream(csv), closeStream(chain)]);
        writeFileSync(join(dir, FILES.manifest), JSON.stringify(manifest, null, 2) + '\n');
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
