import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const DS = 'http://www.w3.org/2000/09/xmldsig#';

export interface XmlsecSignOptions {
  signatureMethod?: string;
  digestMethod?: string;
  c14n?: string;
  transformC14n?: string | null;
}

/**
 * Signs with the C reference implementation, xmlsec1 (Debian package xmlsec1, installed by
 * .ci/run): an independent signer whose packages the bus must accept.
 */
export function xmlsecSign(
  xml: string,
  keyPem: string,
  certPem: string,
  options: XmlsecSignOptions = {},
): string {
  const c14n = options.c14n ?? 'http://www.w3.org/2001/10/xml-exc-c14n#';
  const transformC14n =
    options.transformC14n === undefined ? 'http://www.w3.org/2001/10/xml-exc-c14n#' : options.transformC14n;
  const template =
    `<Signature xmlns="${DS}"><SignedInfo><CanonicalizationMethod Algorithm="${c14n}"/>` +
    `<SignatureMethod Algorithm="${options.signatureMethod ?? 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256'}"/>` +
    `<Reference URI=""><Transforms><Transform Algorithm="${DS}enveloped-signature"/>` +
    (transformC14n ? `<Transform Algorithm="${transformC14n}"/>` : '') +
    `</Transforms><DigestMethod Algorithm="${options.digestMethod ?? 'http://www.w3.org/2001/04/xmlenc#sha256'}"/><DigestValue/></Reference>` +
    `</SignedInfo><SignatureValue/><KeyInfo><X509Data/></KeyInfo></Signature>`;
  const withTemplate = xml.replace(/<\/edXML:edXMLHeader>/, `${template}</edXML:edXMLHeader>`);
  return run((dir) => {
    writeFileSync(join(dir, 'key.pem'), keyPem);
    writeFileSync(join(dir, 'cert.pem'), certPem);
    writeFileSync(join(dir, 'in.xml'), withTemplate);
    xmlsec([
      '--sign',
      '--privkey-pem',
      `${join(dir, 'key.pem')},${join(dir, 'cert.pem')}`,
      '--output',
      join(dir, 'out.xml'),
      join(dir, 'in.xml'),
    ]);
    return readFileSync(join(dir, 'out.xml'), 'utf8');
  });
}

/** Verifies with xmlsec1 against the given roots (and untrusted intermediates). */
export function xmlsecVerify(
  xml: string | Buffer,
  trustedPem: string,
  untrustedPem = '',
): { ok: boolean; output: string } {
  return run((dir) => {
    writeFileSync(join(dir, 'doc.xml'), xml);
    const args = ['--verify', '--enabled-reference-uris', 'empty'];
    pems(trustedPem).forEach((p, i) => {
      writeFileSync(join(dir, `t${i}.pem`), p);
      args.push('--trusted-pem', join(dir, `t${i}.pem`));
    });
    pems(untrustedPem).forEach((p, i) => {
      writeFileSync(join(dir, `u${i}.pem`), p);
      args.push('--untrusted-pem', join(dir, `u${i}.pem`));
    });
    args.push(join(dir, 'doc.xml'));
    const r = spawnSync('xmlsec1', args, { encoding: 'utf8' });
    if (r.error) throw new Error(`xmlsec1 is needed (apt-get install xmlsec1): ${r.error.message}`);
    return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
  });
}

function xmlsec(args: string[]): void {
  const r = spawnSync('xmlsec1', args, { encoding: 'utf8' });
  if (r.error) throw new Error(`xmlsec1 is needed (apt-get install xmlsec1): ${r.error.message}`);
  if (r.status !== 0) throw new Error(`xmlsec1 ${args[0]} failed: ${r.stderr}`);
}

function pems(text: string): string[] {
  return [...text.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g)].map(
    (m) => `${m[0]}\n`,
  );
}

function run<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'xmlsec-'));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
