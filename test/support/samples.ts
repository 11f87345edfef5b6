import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * The real edXML packages collected from public repositories (../shared/reference/samples). They
 * are not copied into this repository: their source repositories carry no licence, so they stay
 * internal fixtures. Tests find them through EDXML_SAMPLES_DIR or next to the checkout, and fail —
 * never skip — when they cannot.
 */
export function samplesDir(): string {
  const candidates = [
    process.env.EDXML_SAMPLES_DIR,
    resolve(__dirname, '../../../shared/reference/samples'),
    '/work/shared/reference/samples',
  ].filter((c): c is string => Boolean(c));
  const found = candidates.find((c) => existsSync(join(c, 'README.md')));
  if (!found) {
    throw new Error(
      `edXML sample packages not found (looked in ${candidates.join(', ')}); set EDXML_SAMPLES_DIR`,
    );
  }
  return found;
}

export function samplePackages(): Array<{ name: string; bytes: Buffer }> {
  const dir = samplesDir();
  return readdirSync(dir)
    .filter((f) => /\.(edxml|xml)$/.test(f))
    .sort()
    .map((name) => ({ name, bytes: readFileSync(join(dir, name)) }));
}

/** The sample that is deliberately not QCVN 102 (an early gateway's invented shape). */
export const NON_QCVN_SAMPLE = 'PVN-Organization__API-Gateway-iOffice__1760427207626_b.txt.edxml';
