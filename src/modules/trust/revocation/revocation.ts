/** What the bus knows about whether one certificate is revoked, and from where. */
export interface RevocationEvidence {
  fingerprint: string;
  method: 'ocsp' | 'crl';
  url: string;
  status: 'good' | 'revoked' | 'unknown';
  revokedAt?: string;
  /** When the responder / CA vouched for this status. */
  thisUpdate: string;
  /** Until when that answer is fresh. */
  nextUpdate: string;
  fetchedAt: string;
}

/** The evidence used for one certificate in the decision about one package. */
export interface RevocationUse extends RevocationEvidence {
  /** Seconds since `thisUpdate` at the time of the check. */
  ageSeconds: number;
  /** Used after `nextUpdate`, within the grace period, because no fresh answer could be had. */
  stale: boolean;
}

export type RevocationVerdict =
  | { status: 'good'; evidence: RevocationUse }
  | { status: 'revoked'; evidence: RevocationUse }
  | { status: 'unknown'; reason: string; lastKnown?: RevocationUse };

export function useOf(evidence: RevocationEvidence, now: Date): RevocationUse {
  return {
    ...evidence,
    ageSeconds: Math.max(0, Math.round((now.getTime() - Date.parse(evidence.thisUpdate)) / 1000)),
    stale: now.getTime() >= Date.parse(evidence.nextUpdate),
  };
}
