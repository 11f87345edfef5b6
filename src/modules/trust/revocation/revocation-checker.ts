import { Injectable } from '@nestjs/common';
import { Clock } from '../../shared/clock';
import type { CertificateFacts } from '../pki/certificate-facts';
import { readCrl } from './crl';
import { ocspRequest, readOcspResponse } from './ocsp';
import { useOf, type RevocationEvidence, type RevocationVerdict } from './revocation';
import { RevocationFetcher, RevocationSettings, RevocationStore } from './revocation-sources.port';

interface CrlCacheEntry {
  body: Uint8Array;
  nextUpdate: number;
}

/**
 * Answers "is this certificate revoked?" with evidence, failing closed:
 * OCSP from the certificate's AIA first, then the CRL from its distribution point; responses are
 * checked (signature by the issuer, about this certificate, fresh) and cached until nextUpdate —
 * in memory, and in the database so a restart keeps them. When no fresh answer can be had, the
 * last good one is used for `graceSeconds` past its nextUpdate (flagged stale, its age recorded);
 * after that the answer is "unknown" and the package is refused.
 */
@Injectable()
export class RevocationChecker {
  private readonly memory = new Map<string, RevocationEvidence>();
  private readonly failures = new Map<string, number>();
  private readonly inFlight = new Map<string, Promise<RevocationEvidence | string>>();
  private readonly crls = new Map<string, CrlCacheEntry>();

  constructor(
    private readonly fetcher: RevocationFetcher,
    private readonly store: RevocationStore,
    private readonly settings: RevocationSettings,
    private readonly clock: Clock,
  ) {}

  async check(cert: CertificateFacts, issuer: CertificateFacts): Promise<RevocationVerdict> {
    const now = this.clock.now();
    let known = this.memory.get(cert.fingerprint) ?? null;
    if (known && Date.parse(known.nextUpdate) > now.getTime()) return verdictOf(known, now);

    const lastFailure = this.failures.get(cert.fingerprint) ?? 0;
    let failure = 'revocation sources failed recently; not retried yet';
    if (now.getTime() - lastFailure >= this.settings.retryAfterSeconds * 1000) {
      const fetched = await this.fetchShared(cert, issuer, now);
      if (typeof fetched !== 'string') {
        this.memory.set(cert.fingerprint, fetched);
        this.failures.delete(cert.fingerprint);
        await this.store.save(fetched).catch(() => undefined);
        return verdictOf(fetched, now);
      }
      failure = fetched;
      this.failures.set(cert.fingerprint, now.getTime());
    }

    known ??= await this.store.load(cert.fingerprint).catch(() => null);
    if (known) this.memory.set(cert.fingerprint, known);
    if (known && now.getTime() < Date.parse(known.nextUpdate) + this.settings.graceSeconds * 1000)
      return verdictOf(known, now);
    return {
      status: 'unknown',
      reason: `${cert.subject}: ${failure}${known ? `; last good answer expired ${known.nextUpdate} (grace ${this.settings.graceSeconds} s)` : ''}`,
      lastKnown: known ? useOf(known, now) : undefined,
    };
  }

  private fetchShared(
    cert: CertificateFacts,
    issuer: CertificateFacts,
    now: Date,
  ): Promise<RevocationEvidence | string> {
    let p = this.inFlight.get(cert.fingerprint);
    if (!p) {
      p = this.fetchFresh(cert, issuer, now).finally(() => this.inFlight.delete(cert.fingerprint));
      this.inFlight.set(cert.fingerprint, p);
    }
    return p;
  }

  /** Source health is for operators: failing to record it must never change a verdict. */
  private async note(url: string, method: 'ocsp' | 'crl', at: Date, error: string | null): Promise<void> {
    await this.store.noteSource({ url, method, at, error }).catch(() => undefined);
  }

  private async fetchFresh(
    cert: CertificateFacts,
    issuer: CertificateFacts,
    now: Date,
  ): Promise<RevocationEvidence | string> {
    const problems: string[] = [];
    for (const url of cert.ocspUrls) {
      try {
        const body = await this.fetcher.post(
          url,
          await ocspRequest(cert.der, issuer.der),
          'application/ocsp-request',
        );
        const answer = await readOcspResponse(body, cert.der, issuer.der, now);
        await this.note(url, 'ocsp', now, typeof answer === 'string' ? answer : null);
        if (typeof answer === 'string') problems.push(`OCSP ${url}: ${answer}`);
        else if (answer.status !== 'unknown') return evidence(cert, 'ocsp', url, answer, now);
        else problems.push(`OCSP ${url}: status unknown`);
      } catch (error) {
        await this.note(url, 'ocsp', now, message(error));
        problems.push(`OCSP ${url}: ${message(error)}`);
      }
    }
    for (const url of cert.crlUrls) {
      try {
        const cached = this.crls.get(url);
        const fresh = !(cached && cached.nextUpdate > now.getTime());
        const body = fresh ? await this.fetcher.get(url) : cached.body;
        const answer = await readCrl(body, cert.der, issuer.der, now);
        if (fresh) await this.note(url, 'crl', now, typeof answer === 'string' ? answer : null);
        if (typeof answer === 'string') {
          problems.push(`CRL ${url}: ${answer}`);
          continue;
        }
        this.crls.set(url, { body, nextUpdate: answer.nextUpdate.getTime() });
        return evidence(cert, 'crl', url, answer, now);
      } catch (error) {
        await this.note(url, 'crl', now, message(error));
        problems.push(`CRL ${url}: ${message(error)}`);
      }
    }
    if (cert.ocspUrls.length === 0 && cert.crlUrls.length === 0)
      problems.push('the certificate names no OCSP responder and no CRL');
    return problems.join('; ');
  }
}

function evidence(
  cert: CertificateFacts,
  method: 'ocsp' | 'crl',
  url: string,
  answer: { status: 'good' | 'revoked' | 'unknown'; revokedAt?: Date; thisUpdate: Date; nextUpdate: Date },
  now: Date,
): RevocationEvidence {
  return {
    fingerprint: cert.fingerprint,
    method,
    url,
    status: answer.status,
    revokedAt: answer.revokedAt?.toISOString(),
    thisUpdate: answer.thisUpdate.toISOString(),
    nextUpdate: answer.nextUpdate.toISOString(),
    fetchedAt: now.toISOString(),
  };
}

function verdictOf(e: RevocationEvidence, now: Date): RevocationVerdict {
  const use = useOf(e, now);
  if (e.status === 'revoked') return { status: 'revoked', evidence: use };
  if (e.status === 'good') return { status: 'good', evidence: use };
  return { status: 'unknown', reason: 'responder does not know the certificate', lastKnown: use };
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
