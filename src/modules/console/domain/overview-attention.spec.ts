import type { ConsoleOverviewFigures } from '../console-read-model.port';
import { BACKLOG_ATTENTION_SECONDS, needsAttention, overviewAttention } from './overview-attention';

const quiet: ConsoleOverviewFigures = {
  documentsPerHour: [],
  outcomes: [],
  backlog: [],
  deadLetters: 0,
  auditHead: 10,
  expiringCertificates: [],
  revocationSources: [
    {
      url: 'http://ocsp.ca.gov.vn',
      method: 'ocsp',
      lastSuccessAt: new Date(),
      lastFailureAt: null,
      lastError: null,
      failuresInARow: 0,
      certificates: 95,
      onGrace: 0,
    },
  ],
};

describe('what the overview puts first', () => {
  it('nothing when every endpoint keeps up and every source answers: 95 quiet endpoints in one line', () => {
    const fresh = { endpoint: 'G01', waiting: 3, oldestSeconds: 20, overdue: 0 };
    const a = overviewAttention({ ...quiet, backlog: [fresh] }, 95);
    expect(needsAttention(a)).toBe(false);
    expect(a.quietEndpoints).toBe(95);
  });

  it('endpoints with an overdue copy or mail waiting too long, worst first; the rest stay quiet', () => {
    const a = overviewAttention(
      {
        ...quiet,
        backlog: [
          { endpoint: 'H26', waiting: 40, oldestSeconds: BACKLOG_ATTENTION_SECONDS + 1, overdue: 0 },
          { endpoint: 'G01', waiting: 2, oldestSeconds: 30, overdue: 0 },
          { endpoint: 'H79', waiting: 0, oldestSeconds: 0, overdue: 3 },
        ],
      },
      95,
    );
    expect(a.endpoints.map((e) => e.endpoint)).toEqual(['H79', 'H26']);
    expect(a.overdueCopies).toBe(3);
    expect(a.quietEndpoints).toBe(93);
    expect(needsAttention(a)).toBe(true);
  });

  it('a failing revocation source, a certificate on grace, an expiring certificate, a dead letter', () => {
    const failing = { ...quiet.revocationSources[0]!, failuresInARow: 2 };
    const onGrace = { ...quiet.revocationSources[0]!, url: 'http://crl.ca.gov.vn', onGrace: 4 };
    expect(
      overviewAttention({ ...quiet, revocationSources: [failing, onGrace] }, 95).failingRevocationSources,
    ).toHaveLength(2);
    const cert = {
      source: 'signer' as const,
      subject: 'CN=G22',
      organId: 'G22',
      notAfter: new Date(),
      lastSeen: null,
    };
    expect(needsAttention(overviewAttention({ ...quiet, expiringCertificates: [cert] }, 95))).toBe(true);
    expect(needsAttention(overviewAttention({ ...quiet, deadLetters: 1 }, 95))).toBe(true);
  });
});
