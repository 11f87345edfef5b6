import { AssessSignature, type SignatureAssessmentInput } from './assess-signature.use-case';
import type { CertificateFacts } from './pki/certificate-facts';
import type { ValidatedChain } from './pki/chain-validator';
import type { RevocationChecker } from './revocation/revocation-checker';
import type { RevocationVerdict } from './revocation/revocation';

function cert(subject: string, organId: string | null = null): CertificateFacts {
  return {
    fingerprint: subject,
    der: '',
    subject,
    issuer: '',
    serialNumber: '01',
    notBefore: '2026-01-01T00:00:00Z',
    notAfter: '2028-01-01T00:00:00Z',
    organId,
    isCa: false,
    canSign: true,
    ocspUrls: [],
    crlUrls: [],
    caIssuerUrls: [],
  };
}

const chain: ValidatedChain = {
  signer: cert('CN=G22', '000.00.00.G22'),
  path: [cert('CN=G22', '000.00.00.G22'), cert('CN=CA')],
  anchor: cert('CN=Root'),
};
const good: RevocationVerdict = {
  status: 'good',
  evidence: {
    fingerprint: 'x',
    method: 'ocsp',
    url: 'u',
    status: 'good',
    thisUpdate: '',
    nextUpdate: '',
    fetchedAt: '',
    ageSeconds: 5,
    stale: false,
  },
};

function assess(verdict: RevocationVerdict = good, pdfPolicy: 'report' | 'refuse-invalid' = 'report') {
  const checker = { check: async () => verdict } as unknown as RevocationChecker;
  return new AssessSignature(checker, { pdfSignaturePolicy: pdfPolicy });
}

const verified = (legacy: string[] = []): SignatureAssessmentInput['outcome'] => ({
  status: 'verified',
  legacy,
  chain,
  algorithms: { signature: 's', digest: 'd', canonicalization: 'c', transforms: [] },
});

describe('the trust decision on the main thread', () => {
  const base = { kind: 'edoc' as const, policy: 'strict' as const, sender: '000.00.00.G22' };

  it('accepts a verified signature of the sender, with the revocation evidence of each certificate', async () => {
    const r = await assess().execute({ ...base, outcome: verified() });
    expect(r.ok && r.record.revocation?.map((u) => u.subject)).toEqual(['CN=G22', 'CN=CA']);
  });

  it('applies the endpoint policy to unsigned packages and legacy algorithms', async () => {
    expect(await assess().execute({ ...base, outcome: { status: 'absent' } })).toMatchObject({
      ok: false,
      refusal: { code: 'SIG_MISSING' },
    });
    expect(
      await assess().execute({ ...base, policy: 'transition-unsigned', outcome: { status: 'absent' } }),
    ).toMatchObject({ ok: true, record: { status: 'unsigned' } });
    // A status moves a copy and speaks for its sender: decided like a document.
    expect(await assess().execute({ ...base, kind: 'status', outcome: { status: 'absent' } })).toMatchObject({
      ok: false,
      refusal: { code: 'SIG_MISSING' },
    });
    expect(
      await assess().execute({
        ...base,
        kind: 'status',
        policy: 'transition-unsigned',
        outcome: { status: 'absent' },
      }),
    ).toMatchObject({
      ok: true,
      record: { status: 'unsigned', flags: ['unsigned status accepted under the transition policy'] },
    });
    expect(await assess().execute({ ...base, outcome: verified(['rsa-sha1']) })).toMatchObject({
      ok: false,
      refusal: { code: 'ALG_FORBIDDEN' },
    });
    expect(
      await assess().execute({ ...base, policy: 'legacy-sha1', outcome: verified(['rsa-sha1']) }),
    ).toMatchObject({ ok: true });
  });

  it('refuses a certificate of another organ, a revoked one, and one whose status cannot be established', async () => {
    expect(await assess().execute({ ...base, sender: '000.00.00.H41', outcome: verified() })).toMatchObject({
      ok: false,
      refusal: { code: 'CERT_ORG_MISMATCH' },
    });
    expect(
      await assess({ ...good, status: 'revoked' }).execute({
        ...base,
        outcome: verified(),
      }),
    ).toMatchObject({ ok: false, refusal: { code: 'CERT_REVOKED' } });
    expect(
      await assess({ status: 'unknown', reason: 'down' }).execute({ ...base, outcome: verified() }),
    ).toMatchObject({ ok: false, refusal: { code: 'REVOCATION_UNKNOWN' } });
  });

  it('reports PDF signatures, and refuses an invalid one only when the policy says so', async () => {
    const pdfSignatures = [{ attachment: 'a.pdf', status: 'invalid' as const, reason: 'tampered' }];
    const reported = await assess().execute({ ...base, outcome: verified(), pdfSignatures });
    expect(reported).toMatchObject({
      ok: true,
      record: { pdf: [{ attachment: 'a.pdf', status: 'invalid', reason: 'tampered' }] },
    });
    const refused = await assess(good, 'refuse-invalid').execute({
      ...base,
      outcome: verified(),
      pdfSignatures,
    });
    expect(refused).toMatchObject({ ok: false, refusal: { code: 'PDF_SIGNATURE_INVALID' } });
  });
});
