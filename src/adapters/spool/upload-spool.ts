import { randomUUID } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readdirSync, rmSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { isSpooled, type PackageBody } from '../../modules/shared/package-body';

/**
 * Uploads from this size go to a spool file instead of memory. Below it a package costs less
 * than the file round trips; above it, holding it would make the bus's memory grow with the
 * number and size of concurrent uploads instead of staying flat.
 */
export const SPOOL_FROM_BYTES = 4 * 1024 * 1024;

/**
 * Where the bridges put large uploads while they are checked and stored. Each process has its own
 * directory (named by its pid), so a restarted bus can remove what a dead one left — an upload
 * that was never acknowledged, which its sender sends again — without touching a live one's.
 */
export class UploadSpool {
  private made = false;

  constructor(readonly directory: string) {}

  /** Removes what dead processes left; this process's folder is made on its first upload. */
  static open(base: string): UploadSpool {
    if (existsSync(base)) {
      for (const entry of readdirSync(base)) {
        if (/^\d+$/.test(entry) && !isAlive(Number(entry)))
          rmSync(join(base, entry), { recursive: true, force: true });
      }
    }
    return new UploadSpool(join(base, String(process.pid)));
  }

  /** A new file name in this process's folder (create it with flag `wx` and mode 0600). */
  path(): string {
    if (!this.made) mkdirSync(this.directory, { recursive: true, mode: 0o700 });
    this.made = true;
    return join(this.directory, `${randomUUID()}.xml`);
  }

  create(): { path: string; stream: WriteStream } {
    const path = this.path();
    // Only this process reads it: private to the bus's user (documents are confidential).
    return { path, stream: createWriteStream(path, { flags: 'wx', mode: 0o600 }) };
  }

  /** Removes the spool file of a package once its submission is decided (nothing if in memory). */
  release(body: PackageBody | undefined): void {
    if (body && isSpooled(body)) rmSync(body.spoolPath, { force: true });
  }
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
