import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * Validates with libxml2's own command-line tool (Debian package libxml2-utils, installed by
 * .ci/run): an independent check that what the bus writes matches the schemas it publishes.
 */
export function xmllintValidate(
  xml: string | Buffer,
  schemaFile: string,
): { valid: boolean; output: string } {
  const schema = join(__dirname, '../../schemas/edoc', schemaFile);
  const r = spawnSync('xmllint', ['--noout', '--nonet', '--schema', schema, '-'], {
    input: xml,
    encoding: 'utf8',
  });
  if (r.error)
    throw new Error(`xmllint is needed for this test (apt-get install libxml2-utils): ${r.error.message}`);
  return { valid: r.status === 0, output: `${r.stdout}${r.stderr}` };
}
