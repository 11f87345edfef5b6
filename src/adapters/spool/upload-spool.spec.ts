import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UploadSpool } from './upload-spool';

describe('the upload spool', () => {
  const base = mkdtempSync(join(tmpdir(), 'edoc-spool-spec-'));
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  it('removes what dead processes left, and nothing of a live one', () => {
    const dead = join(base, '999999999'); // above any pid Linux gives
    mkdirSync(dead);
    writeFileSync(join(dead, 'left.xml'), 'x');
    const live = join(base, String(process.ppid));
    mkdirSync(live);
    mkdirSync(join(base, 'notes'));
    const spool = UploadSpool.open(base);
    expect(readdirSync(base).sort()).toEqual([String(process.ppid), 'notes'].sort());
    expect(existsSync(spool.directory)).toBe(false); // made on the first upload
  });

  it('keeps files private to the bus and removes a spooled body when released', async () => {
    const spool = UploadSpool.open(base);
    const { path, stream } = spool.create();
    await new Promise<void>((r) => stream.end('<edXML/>', r));
    expect(statSync(spool.directory).mode & 0o777).toBe(0o700);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    spool.release(new Uint8Array(3)); // bytes in memory: nothing to remove
    expect(existsSync(path)).toBe(true);
    spool.release({ spoolPath: path, length: 8, sha256: '' });
    expect(readdirSync(spool.directory)).toEqual([]);
  });
});
