import {
  ChangeSignaturePolicy,
  ChangeSignaturePolicyCommand,
} from '../../src/modules/registry/use-cases/change-signature-policy.use-case';
import { SigningPool } from '../../src/adapters/workers/signing-pool';
import type { SignaturePolicy } from '../../src/modules/trust/policy/signature-policy';
import { sleep } from '../support/infrastructure';
import { documentPackage } from '../support/packages';
import { TestBus, type Inbox } from '../support/test-bus';
import { TestTrust } from '../support/test-trust';
import { xmlsecSign, xmlsecVerify } from '../support/xmlsec';
import { storedZip } from '../support/zip';
import { signedPdf } from '../../tools/pki/test-pdf-signer';

const G22 = '000.00.00.G22';
const H41 = '000.00.00.H41';
const DS = 'http://www.w3.org/2000/09/xmldsig#';

describe('trust: the government specialized signature on every package', () => {
  let bus: TestBus;
  let g22: Inbox;

  beforeAll(async () => {
    bus = await TestBus.start();
    await bus.seed();
    // G22's client does not sign by itself here: each test decides how its package is signed.
    g22 = await bus.inbox(G22, { signing: null });
    await bus.inbox(H41);
  });
  afterAll(() => bus?.close());

  const signedBy = async (organId: string, xml = documentPackage(G22, [H41]).xml) =>
    SigningPool.instance.sign(xml, await bus.trust.signing(organId));
  const submit = async (xml: string) =>
    g22.receiptFor((await g22.client.send(xml, { sign: false })).messageId);
  const policy = (p: SignaturePolicy) =>
    bus
      .get(ChangeSignaturePolicy)
      .execute(ChangeSignaturePolicyCommand.create({ code: G22, policy: p, reason: 'test', actor: 'test' }));

  it('accepts a package signed by xmlsec1 (the C reference implementation) with the sender’s test-PKI key', async () => {
    const credentials = await bus.trust.signing(G22);
    const xml = xmlsecSign(documentPackage(G22, [H41]).xml, credentials.keyPem, credentials.certificatePem);
    const receipt = await submit(xml);
    expect(receipt.outcome).toBe('accepted');
    const body = receipt.body.toString();
    expect(body).toMatch(/<SignatureCheck policy="strict" status="verified">/);
    expect(body).toMatch(/<Signer fingerprint="[0-9a-f]{64}" organId="000\.00\.00\.G22"/);
    expect(body).toMatch(
      /<Revocation ageSeconds="\d+" method="(ocsp|crl)" nextUpdate="[^"]+" stale="false" status="good"/,
    );
  });

  it('records the signer and the revocation evidence, with its age, with the package', async () => {
    const receipt = await submit(await signedBy(G22));
    const [row] = await bus.query<{
      signature: {
        status: string;
        signer: { organId: string };
        revocation: Array<{ method: string; ageSeconds: number }>;
      };
    }>('SELECT signature FROM package WHERE id = $1', [receipt.busId]);
    expect(row!.signature.status).toBe('verified');
    expect(row!.signature.signer.organId).toBe(G22);
    expect(row!.signature.revocation).toHaveLength(2); // the signer and its issuing CA
    expect(
      row!.signature.revocation.every((r) => ['ocsp', 'crl'].includes(r.method) && r.ageSeconds >= 0),
    ).toBe(true);
  });

  it('signs its receipts: xmlsec1 verifies them against the bus certificate’s root', async () => {
    const receipt = await submit(await signedBy(G22));
    const check = xmlsecVerify(
      receipt.body,
      bus.trust.pki.trustAnchorsPem(),
      bus.trust.pki.intermediatesPem(),
    );
    expect(check).toMatchObject({ ok: true });
  });

  describe.each([
    ['revoked', 'CERT_REVOKED'],
    ['expired', 'CERT_EXPIRED'],
    ['not-yet-valid', 'CERT_NOT_YET_VALID'],
    ['foreign-ca', 'CERT_UNTRUSTED'],
    ['key-usage', 'CERT_KEY_USAGE'],
  ] as const)('a package signed with a %s certificate', (which, code) => {
    it(`is refused with ${code}`, async () => {
      const xml = await SigningPool.instance.sign(
        documentPackage(G22, [H41]).xml,
        await bus.trust.badSigning(which),
      );
      const receipt = await submit(xml);
      expect(receipt.outcome).toBe('rejected');
      expect(receipt.reason).toBe(code);
    });
  });

  it('refuses a package signed with another organ’s valid certificate (CERT_ORG_MISMATCH)', async () => {
    const receipt = await submit(await signedBy(H41));
    expect(receipt.reason).toBe('CERT_ORG_MISMATCH');
  });

  describe('signature wrapping and tampering', () => {
    const variants: Array<[string, (signed: string) => string, string]> = [
      [
        'the subject changed after signing',
        (s) => s.replace(/<edXML:Subject>[^<]*/, '<edXML:Subject>V/v sửa đổi'),
        'SIG_INVALID',
      ],
      [
        'a second From added after signing',
        (s) =>
          s.replace(
            '</edXML:From>',
            `</edXML:From><edXML:From><edXML:OrganId>${H41}</edXML:OrganId></edXML:From>`,
          ),
        'SIG_INVALID',
      ],
      [
        'a second DocumentId hidden in the signature',
        (s) =>
          s.replace(
            '</SignatureValue>',
            '</SignatureValue><Object><edXML:DocumentId xmlns:edXML="http://www.mic.gov.vn/TBT/QCVN_102_2016">X</edXML:DocumentId></Object>',
          ),
        'SIG_WRAPPED',
      ],
      ['two signatures', (s) => s.replace(/(<Signature xmlns=[\s\S]*<\/Signature>)/, '$1$1'), 'SIG_WRAPPED'],
      [
        'a duplicated SignedInfo',
        (s) => s.replace(/(<SignedInfo>[\s\S]*<\/SignedInfo>)/, '$1$1'),
        'SIG_WRAPPED',
      ],
      [
        'a comment inside DigestValue',
        (s) => s.replace(/<DigestValue>(.{4})/, '<DigestValue>$1<!--x-->'),
        'SIG_INVALID',
      ],
      [
        'the signature moved into MessageHeader',
        (s) => {
          const sig = /<Signature xmlns=[\s\S]*<\/Signature>/.exec(s)![0];
          return s.replace(sig, '').replace('</edXML:MessageHeader>', `${sig}</edXML:MessageHeader>`);
        },
        'SIG_WRAPPED',
      ],
      [
        'a Reference to an element instead of the whole document',
        (s) => s.replace('<Reference URI="">', '<Reference URI="#body">'),
        'SIG_WRAPPED',
      ],
      [
        'an HMAC signature method',
        (s) => s.replace(/<SignatureMethod Algorithm="[^"]+"/, `<SignatureMethod Algorithm="${DS}hmac-sha1"`),
        'ALG_FORBIDDEN',
      ],
      [
        'no certificate in KeyInfo (the key must come from a validated certificate)',
        (s) => s.replace(/<KeyInfo>[\s\S]*<\/KeyInfo>/, ''),
        'CERT_UNTRUSTED',
      ],
    ];
    it.each(variants)('refuses %s', async (_label, mutate, code) => {
      const receipt = await submit(mutate(await signedBy(G22)));
      expect(receipt.outcome).toBe('rejected');
      expect(receipt.reason).toBe(code);
    });
  });

  describe('signatures inside attached PDFs', () => {
    it('reports who signed each PDF and whether it holds — raw, zipped, tampered or revoked', async () => {
      const good = await signedPdf(await bus.trust.pki.issueEndpoint(G22));
      const tampered = Buffer.from(good);
      tampered[20] = 0x41;
      const revoked = await signedPdf(bus.trust.pki.bad.get('revoked')!);
      const largeGood = await signedPdf(await bus.trust.pki.issueEndpoint(G22), 'x'.repeat(700_000));
      const largeTampered = Buffer.from(largeGood);
      largeTampered[400_000] = 0x79;
      const cases: Array<[Buffer, string, RegExp]> = [
        [
          good,
          'application/pdf',
          /<PdfSignature attachment="a\.pdf" organId="000\.00\.00\.G22" signingTime="[^"]+" status="valid">CN=/,
        ],
        [
          storedZip([{ name: 'van-ban.pdf', data: good }]),
          'application/zip',
          /<PdfSignature attachment="a\.pdf" entry="van-ban\.pdf" organId="000\.00\.00\.G22" signingTime="[^"]+" status="valid">/,
        ],
        [
          tampered,
          'application/pdf',
          /<PdfSignature attachment="a\.pdf" organId="000\.00\.00\.G22" reason="the CMS signature does not match the signed content" signingTime="[^"]+" status="invalid">/,
        ],
        [revoked, 'application/pdf', /status="revoked"/],
        // over 512 KiB: the attachment is kept out of the DOM and decoded from the received bytes
        [
          largeGood,
          'application/pdf',
          /<PdfSignature attachment="a\.pdf" organId="000\.00\.00\.G22" signingTime="[^"]+" status="valid">CN=/,
        ],
        [largeTampered, 'application/pdf', /reason="the CMS signature does not match the signed content"/],
      ];
      for (const [content, contentType, expected] of cases) {
        const xml = await signedBy(
          G22,
          documentPackage(G22, [H41], { attachment: { content, name: 'a.pdf', contentType } }).xml,
        );
        const receipt = await submit(xml);
        expect(receipt.outcome).toBe('accepted'); // the default PDF policy reports, it does not refuse
        expect(receipt.body.toString()).toMatch(expected);
      }
    });
  });

  describe('per-endpoint signature policies', () => {
    afterEach(() => policy('strict'));

    it('refuses an unsigned package under the strict policy and accepts it, flagged, under transition-unsigned', async () => {
      const xml = documentPackage(G22, [H41]).xml;
      expect((await submit(xml)).reason).toBe('SIG_MISSING');
      await policy('transition-unsigned');
      const accepted = await submit(documentPackage(G22, [H41]).xml);
      expect(accepted.outcome).toBe('accepted');
      expect(accepted.body.toString()).toMatch(
        /<SignatureCheck policy="transition-unsigned" status="unsigned">[\s\S]*<Flag>unsigned package accepted under the transition policy<\/Flag>/,
      );
    });

    it('takes an empty ds:Signature for no signature: SIG_MISSING under strict, flagged under transition-unsigned', async () => {
      const empty = (xml: string) =>
        xml.replace(
          '</edXML:TraceHeaderList>',
          '</edXML:TraceHeaderList><Signature xmlns="http://www.w3.org/2000/09/xmldsig#"/>',
        );
      const refused = await submit(empty(documentPackage(G22, [H41]).xml));
      expect({ outcome: refused.outcome, reason: refused.reason }).toEqual({
        outcome: 'rejected',
        reason: 'SIG_MISSING',
      });
      expect(refused.body.toString()).toContain('the ds:Signature element is empty');
      await policy('transition-unsigned');
      const accepted = await submit(empty(documentPackage(G22, [H41]).xml));
      expect(accepted.outcome).toBe('accepted');
      expect(accepted.body.toString()).toContain('unsigned package accepted under the transition policy');
    });

    it('refuses RSA-SHA1 under strict and accepts it, flagged, under legacy-sha1', async () => {
      const credentials = await bus.trust.signing(G22);
      const sha1 = () =>
        xmlsecSign(documentPackage(G22, [H41]).xml, credentials.keyPem, credentials.certificatePem, {
          signatureMethod: `${DS}rsa-sha1`,
          digestMethod: `${DS}sha1`,
        });
      const refused = await submit(sha1());
      expect(refused.reason).toBe('ALG_FORBIDDEN');
      await policy('legacy-sha1');
      const accepted = await submit(sha1());
      expect(accepted.outcome).toBe('accepted');
      expect(accepted.body.toString()).toMatch(
        /<Flag>legacy algorithm accepted under the legacy-sha1 policy: signature method http:\/\/www\.w3\.org\/2000\/09\/xmldsig#rsa-sha1<\/Flag>/,
      );
    });

    it('records every policy change with who and why', async () => {
      await policy('legacy-sha1');
      const changes = await bus.query<{ action: string; reason: string }>(
        `SELECT action, reason FROM endpoint_change WHERE organ_id = $1 AND action = 'policy' ORDER BY id DESC LIMIT 1`,
        [G22],
      );
      expect(changes[0]).toEqual({ action: 'policy', reason: 'strict → legacy-sha1: test' });
    });

    it('still refuses a broken signature under the transition policy', async () => {
      await policy('transition-unsigned');
      const signed = await signedBy(G22);
      const receipt = await submit(signed.replace(/<edXML:Subject>[^<]*/, '<edXML:Subject>khác'));
      expect(receipt.reason).toBe('SIG_INVALID');
    });
  });
});

describe('trust: revocation evidence when the OCSP responder and CRLs are down', () => {
  let bus: TestBus;
  let g22: Inbox;

  beforeAll(async () => {
    // Answers are fresh for 2 s; the last good answer may be used for 3 s more.
    const trust = await TestTrust.start(2);
    bus = await TestBus.start(
      { revocation: { graceSeconds: 3, retryAfterSeconds: 0, timeoutMs: 500 } },
      { trust },
    );
    await bus.seed();
    g22 = await bus.inbox(G22);
    await bus.inbox(H41);
  });
  afterAll(() => bus?.close());

  const send = async () => g22.receiptFor((await g22.client.send(documentPackage(G22, [H41]).xml)).messageId);

  it('keeps packages flowing within the grace period, recording the evidence age, and refuses them beyond it', async () => {
    const fresh = await send();
    expect(fresh.outcome).toBe('accepted');
    expect(fresh.body.toString()).toMatch(/stale="false"/);

    await bus.trust.stopResponder();
    await sleep(2500); // the evidence is past nextUpdate, still within the grace period
    const stale = await send();
    expect(stale.outcome).toBe('accepted');
    expect(stale.body.toString()).toMatch(/stale="true"/);
    expect(stale.body.toString()).toMatch(
      /<Flag>revocation evidence for .* is stale \(\d+ s old; responder unavailable, within the grace period\)<\/Flag>/,
    );
    // The operators see it: the responder and the CRL addresses failing, certificates on grace.
    const sources = await bus.query<{ method: string; failures_in_a_row: number; last_error: string }>(
      `SELECT method, failures_in_a_row, last_error FROM revocation_source WHERE method = 'ocsp'`,
    );
    expect(sources.length).toBeGreaterThan(0);
    expect(sources.every((s) => s.failures_in_a_row > 0 && s.last_error.length > 0)).toBe(true);

    await sleep(3500); // beyond nextUpdate + grace
    const refused = await send();
    expect(refused.outcome).toBe('rejected');
    expect(refused.reason).toBe('REVOCATION_UNKNOWN');

    await bus.trust.restartResponder();
    expect((await send()).outcome).toBe('accepted');
    const healed = await bus.query<{ failures_in_a_row: number }>(
      `SELECT failures_in_a_row FROM revocation_source WHERE method = 'ocsp'`,
    );
    expect(healed.some((s) => s.failures_in_a_row === 0)).toBe(true);
  });
});
