import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { X509Certificate as NodeX509Certificate, randomBytes, webcrypto } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ORGAN_ATTRIBUTE_OID, ORGAN_PREFIX } from '../../src/modules/trust/pki/certificate-facts';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
type RsaHashedKeyGenParams = webcrypto.RsaHashedKeyGenParams;
type EcKeyGenParams = webcrypto.EcKeyGenParams;

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
const subtle = webcrypto.subtle;

const RSA: RsaHashedKeyGenParams = {
  name: 'RSASSA-PKCS1-v1_5',
  modulusLength: 2048,
  publicExponent: new Uint8Array([1, 0, 1]),
  hash: 'SHA-256',
};
const EC: EcKeyGenParams & { hash: string } = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
const SIGN_RSA = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
const YEAR = 365 * 24 * 3600 * 1000;

export type CaName = 'root' | 'state' | 'party' | 'foreign';

export interface Issued {
  certificate: x509.X509Certificate;
  keys: CryptoKeyPair;
}

/** The bad certificates every trust test needs; all claim organ G22 (the Government Office). */
export const BAD_CASES = ['revoked', 'expired', 'not-yet-valid', 'foreign-ca', 'key-usage'] as const;
export type BadCase = (typeof BAD_CASES)[number];

export interface PkiManifest {
  baseUrl: string;
  /** Serial numbers (hex) revoked by each CA. */
  revoked: Record<string, string[]>;
}

/**
 * A test PKI modelled on the government's (Ban Cơ yếu Chính phủ): a G2-style root, an issuing CA
 * for state bodies and one for Party bodies, one organization signing certificate per endpoint
 * (organ code in the subject as UID=MDD:<code>), a certificate for the bus, and the bad cases.
 * CRL distribution points and OCSP addresses point at `baseUrl`, where `edoc-bus pki serve`
 * (or TestPkiResponder in tests) answers. Keys are generated, never committed.
 */
export class TestPki {
  readonly endpoints = new Map<string, Issued>();
  readonly bad = new Map<BadCase, Issued>();
  readonly manifest: PkiManifest;
  /** The bus's TLS server certificate, once issued (`issueServer`). */
  server: Issued | null = null;

  private constructor(
    readonly root: Issued,
    readonly state: Issued,
    readonly party: Issued,
    readonly foreignRoot: Issued,
    readonly bus: Issued,
    baseUrl: string,
  ) {
    this.manifest = { baseUrl, revoked: { root: [], state: [], party: [], foreign: [] } };
  }

  static async create(baseUrl: string): Promise<TestPki> {
    const now = Date.now();
    const root = await selfSigned('RootCA chuyên dùng Chính phủ G2 — TEST', now);
    const foreignRoot = await selfSigned('Foreign Root CA — TEST', now, 'Tổ chức không được tin cậy');
    const caExtensions = (issuer: Issued) => [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      new x509.CRLDistributionPointsExtension([`${baseUrl}/crl/root.crl`]),
      new x509.AuthorityInfoAccessExtension({
        ocsp: [`${baseUrl}/ocsp/root`],
        caIssuers: [`${baseUrl}/ca/root.crt`],
      }),
      ...keyIds(issuer),
    ];
    const state = await issue(
      root,
      [{ CN: ['CA phục vụ các cơ quan Nhà nước G2 — TEST'] }, { O: ['Ban Cơ yếu Chính phủ'] }, { C: ['VN'] }],
      RSA,
      caExtensions(root),
      now,
      10 * YEAR,
    );
    const party = await issue(
      root,
      [{ CN: ['CA phục vụ các cơ quan Đảng G2 — TEST'] }, { O: ['Ban Cơ yếu Chính phủ'] }, { C: ['VN'] }],
      RSA,
      caExtensions(root),
      now,
      10 * YEAR,
    );
    const pki = new TestPki(
      root,
      state,
      party,
      foreignRoot,
      await issue(
        state,
        organSubject('edoc-bus', 'Trục liên thông văn bản quốc gia'),
        EC,
        signingExtensions(state, 'state', baseUrl),
        now,
        2 * YEAR,
      ),
      baseUrl,
    );
    return pki;
  }

  /** The issuing CA for an organ: Party bodies (A…) are served by the Party CA. */
  issuerFor(organId: string): { name: CaName; ca: Issued } {
    return /\.A\d\d$/.test(organId) ? { name: 'party', ca: this.party } : { name: 'state', ca: this.state };
  }

  /** The endpoint's signing certificate (issued once, then reused); `lifetimeMs` only counts at first issue. */
  async issueEndpoint(organId: string, name = organId, lifetimeMs = 2 * YEAR): Promise<Issued> {
    const existing = this.endpoints.get(organId);
    if (existing) return existing;
    const { name: caName, ca } = this.issuerFor(organId);
    const issued = await issue(
      ca,
      organSubject(organId, name),
      RSA,
      signingExtensions(ca, caName, this.manifest.baseUrl),
      Date.now(),
      lifetimeMs,
    );
    this.endpoints.set(organId, issued);
    return issued;
  }

  /**
   * The bus's TLS server certificate: ECDSA P-256 for ECDHE-ECDSA suites, `serverAuth` only, its
   * names as subject alternative names (localhost and 127.0.0.1 always, for the demo and tests).
   */
  async issueServer(names: string[] = [], lifetimeMs = YEAR): Promise<Issued> {
    const all = [...new Set(['localhost', '127.0.0.1', '::1', ...names])];
    const isIp = (n: string) => /^[\d.]+$/.test(n) || n.includes(':');
    this.server = await issue(
      this.state,
      [{ CN: [names[0] ?? 'localhost'] }, { O: ['Trục liên thông văn bản quốc gia'] }, { C: ['VN'] }],
      EC,
      [
        new x509.BasicConstraintsExtension(false),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension(
          all.map((n) => (isIp(n) ? { type: 'ip' as const, value: n } : { type: 'dns' as const, value: n })),
        ),
        ...keyIds(this.state),
      ],
      Date.now(),
      lifetimeMs,
    );
    return this.server;
  }

  /** The server certificate followed by its issuing CA: what a TLS server sends. */
  serverChainPem(): string {
    if (!this.server) throw new Error('no server certificate issued');
    return `${this.server.certificate.toString('pem')}\n${this.state.certificate.toString('pem')}\n`;
  }

  async issueBadCases(organId = '000.00.00.G22'): Promise<void> {
    const now = Date.now();
    const url = this.manifest.baseUrl;
    const subject = organSubject(organId, 'Văn phòng Chính phủ');
    const revoked = await issue(
      this.state,
      subject,
      RSA,
      signingExtensions(this.state, 'state', url),
      now,
      YEAR,
    );
    this.manifest.revoked.state!.push(revoked.certificate.serialNumber.toLowerCase());
    this.bad.set('revoked', revoked);
    this.bad.set(
      'expired',
      await issue(
        this.state,
        subject,
        RSA,
        signingExtensions(this.state, 'state', url),
        now - 2 * YEAR,
        YEAR,
      ),
    );
    this.bad.set(
      'not-yet-valid',
      await issue(this.state, subject, RSA, signingExtensions(this.state, 'state', url), now + YEAR, YEAR),
    );
    this.bad.set(
      'foreign-ca',
      await issue(
        this.foreignRoot,
        subject,
        RSA,
        signingExtensions(this.foreignRoot, 'foreign', url),
        now,
        YEAR,
      ),
    );
    const wrongUsage = [
      new x509.BasicConstraintsExtension(false),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyEncipherment, true),
      ...keyIds(this.state),
    ];
    this.bad.set('key-usage', await issue(this.state, subject, RSA, wrongUsage, now, YEAR));
  }

  caByName(name: CaName): Issued {
    return { root: this.root, state: this.state, party: this.party, foreign: this.foreignRoot }[name];
  }

  trustAnchorsPem(): string {
    return this.root.certificate.toString('pem') + '\n';
  }

  intermediatesPem(): string {
    return `${this.state.certificate.toString('pem')}\n${this.party.certificate.toString('pem')}\n`;
  }

  /** Writes the PKI as PEM files (see `edoc-bus pki init`). */
  async write(dir: string): Promise<string[]> {
    const written: string[] = [];
    const put = (file: string, content: string) => {
      const full = join(dir, file);
      mkdirSync(join(full, '..'), { recursive: true });
      writeFileSync(full, content, { mode: file.endsWith('.key') ? 0o600 : 0o644 });
      written.push(full);
    };
    const pair = async (base: string, issued: Issued) => {
      put(`${base}.crt`, issued.certificate.toString('pem') + '\n');
      put(`${base}.key`, await privateKeyPem(issued.keys.privateKey));
    };
    await pair('root-ca', this.root);
    await pair('ca-state', this.state);
    await pair('ca-party', this.party);
    await pair('foreign-root-ca', this.foreignRoot);
    await pair('bus', this.bus);
    if (this.server) {
      put('server.crt', this.serverChainPem());
      put('server.key', await privateKeyPem(this.server.keys.privateKey));
    }
    for (const [organId, issued] of this.endpoints) await pair(`endpoints/${organId}`, issued);
    for (const [name, issued] of this.bad) await pair(`bad/${name}`, issued);
    put('trust-anchors.pem', this.trustAnchorsPem());
    put('intermediates.pem', this.intermediatesPem());
    put('pki.json', JSON.stringify(this.manifest, null, 2) + '\n');
    return written;
  }

  /** Reads a PKI written by `write` (the responder and the demo use it). */
  static async read(dir: string): Promise<TestPki> {
    const load = async (base: string): Promise<Issued> => {
      const pem = readFileSync(join(dir, `${base}.crt`), 'utf8');
      const certificate = new x509.X509Certificate(pem);
      const nodeCert = new NodeX509Certificate(pem);
      const alg = nodeCert.publicKey.asymmetricKeyType === 'ec' ? EC : RSA;
      const privateKey = await subtle.importKey(
        'pkcs8',
        pemBody(readFileSync(join(dir, `${base}.key`), 'utf8')),
        alg,
        true,
        ['sign'],
      );
      const publicKey = await subtle.importKey(
        'spki',
        nodeCert.publicKey.export({ type: 'spki', format: 'der' }),
        alg,
        true,
        ['verify'],
      );
      return { certificate, keys: { privateKey, publicKey } };
    };
    const manifest = JSON.parse(readFileSync(join(dir, 'pki.json'), 'utf8')) as PkiManifest;
    const pki = new TestPki(
      await load('root-ca'),
      await load('ca-state'),
      await load('ca-party'),
      await load('foreign-root-ca'),
      await load('bus'),
      manifest.baseUrl,
    );
    Object.assign(pki.manifest, manifest);
    const { readdirSync } = await import('node:fs');
    for (const f of readdirSync(join(dir, 'endpoints')).filter((n) => n.endsWith('.crt'))) {
      pki.endpoints.set(f.slice(0, -4), await load(`endpoints/${f.slice(0, -4)}`));
    }
    try {
      pki.server = await load('server');
    } catch {
      // a PKI written before server certificates were issued has none
    }
    for (const name of BAD_CASES) {
      try {
        pki.bad.set(name, await load(`bad/${name}`));
      } catch {
        // bad cases are optional
      }
    }
    return pki;
  }
}

export async function privateKeyPem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n?$/, '\n')}-----END PRIVATE KEY-----\n`;
}

function pemBody(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

function organSubject(organId: string, name: string): x509.JsonName {
  return [
    { CN: [name] },
    { [ORGAN_ATTRIBUTE_OID]: [`${ORGAN_PREFIX}${organId}`] },
    { O: [name] },
    { C: ['VN'] },
  ];
}

function signingExtensions(issuer: Issued, caName: CaName, baseUrl: string): x509.Extension[] {
  return [
    new x509.BasicConstraintsExtension(false),
    new x509.KeyUsagesExtension(
      x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.nonRepudiation,
      true,
    ),
    new x509.CRLDistributionPointsExtension([`${baseUrl}/crl/${caName}.crl`]),
    new x509.AuthorityInfoAccessExtension({
      ocsp: [`${baseUrl}/ocsp/${caName}`],
      caIssuers: [`${baseUrl}/ca/${caName}.crt`],
    }),
    ...keyIds(issuer),
  ];
}

function keyIds(issuer: Issued): x509.Extension[] {
  const ski = issuer.certificate.getExtension(x509.SubjectKeyIdentifierExtension);
  return ski ? [new x509.AuthorityKeyIdentifierExtension(ski.keyId)] : [];
}

async function selfSigned(cn: string, now: number, organization = 'Ban Cơ yếu Chính phủ'): Promise<Issued> {
  const keys = await subtle.generateKey(RSA, true, ['sign', 'verify']);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: [{ CN: [cn] }, { O: [organization] }, { C: ['VN'] }],
    notBefore: new Date(now - 3600_000),
    notAfter: new Date(now + 20 * YEAR),
    keys,
    signingAlgorithm: SIGN_RSA,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certificate, keys };
}

async function issue(
  issuer: Issued,
  subject: x509.JsonName,
  algorithm: RsaHashedKeyGenParams | EcKeyGenParams,
  extensions: x509.Extension[],
  notBefore: number,
  lifetime: number,
): Promise<Issued> {
  const keys = await subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject,
    issuer: issuer.certificate.subjectName,
    notBefore: new Date(notBefore - 3600_000),
    notAfter: new Date(notBefore + lifetime),
    publicKey: keys.publicKey,
    signingKey: issuer.keys.privateKey,
    signingAlgorithm: SIGN_RSA,
    extensions: [...extensions, await x509.SubjectKeyIdentifierExtension.create(keys.publicKey)],
  });
  return { certificate, keys };
}

/** Positive 16-byte serial numbers, as CAs issue them. */
function serial(): string {
  const b = randomBytes(16);
  b[0] = (b[0]! & 0x7f) | 0x10;
  return b.toString('hex');
}
