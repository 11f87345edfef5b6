import type { RevocationEvidence } from './revocation';

/** Port: fetches revocation data over HTTP (CRL by GET, OCSP by POST), with a timeout. */
export abstract class RevocationFetcher {
  abstract get(url: string): Promise<Uint8Array>;
  abstract post(url: string, body: Uint8Array, contentType: string): Promise<Uint8Array>;
}

/** Port: keeps the last good answer per certificate, so a restart does not lose the grace period. */
export abstract class RevocationStore {
  abstract load(fingerprint: string): Promise<RevocationEvidence | null>;
  abstract save(evidence: RevocationEvidence): Promise<void>;
  /** How a fetch from one OCSP responder or CRL address went: the operators' view of its health. */
  abstract noteSource(outcome: RevocationSourceOutcome): Promise<void>;
}

export interface RevocationSourceOutcome {
  url: string;
  method: 'ocsp' | 'crl';
  at: Date;
  /** Null when the source gave a usable, correctly signed answer. */
  error: string | null;
}

/** Settings of revocation checking, from the validated configuration. */
export abstract class RevocationSettings {
  /** How long after nextUpdate the last good answer may still be used when no fresh one can be had. */
  abstract readonly graceSeconds: number;
  /** After a failed fetch, do not try that certificate again for this long (keeps latency bounded while a responder is down). */
  abstract readonly retryAfterSeconds: number;
}
