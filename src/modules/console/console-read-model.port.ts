import type { SignatureRecord } from '../trust/signature-record';

export interface DeliverySearch {
  documentId: string | null;
  sender: string | null;
  recipient: string | null;
  state: string | null;
  subject: string | null;
  priority: number | null;
  from: Date | null;
  to: Date | null;
}

export interface DeliveryLine {
  busId: string;
  documentId: string;
  subject: string | null;
  sender: string;
  recipient: string;
  state: string;
  stateAt: Date;
  priority: number;
  createdAt: Date;
  overdue: string | null;
}

export interface ConsoleOverviewFigures {
  documentsPerHour: Array<{ hour: Date; documents: number }>;
  outcomes: Array<{ outcome: string; reason: string | null; count: number }>;
  backlog: Array<{ endpoint: string; waiting: number; oldestSeconds: number; overdue: number }>;
  deadLetters: number;
  auditHead: number | null;
  /** Certificates that expire before the horizon: signers in use, trust anchors, CAs, the bus's own. */
  expiringCertificates: ExpiringCertificate[];
  revocationSources: RevocationSourceHealth[];
}

export interface ExpiringCertificate {
  source: 'signer' | 'trust-anchor' | 'intermediate' | 'bus' | 'tls-server';
  subject: string;
  organId: string | null;
  notAfter: Date;
  /** When the bus last accepted a package signed with it (signers only). */
  lastSeen: Date | null;
}

export interface RevocationSourceHealth {
  url: string;
  method: 'ocsp' | 'crl';
  lastSuccessAt: Date | null;
  lastFailureAt: Date | null;
  lastError: string | null;
  failuresInARow: number;
  /** Certificates whose last good answer came from here… */
  certificates: number;
  /** …and of those, how many are past nextUpdate, standing on the grace period. */
  onGrace: number;
}

/** What an endpoint has been doing, for the endpoints page. */
export interface EndpointActivity {
  organId: string;
  /** When the bus last accepted a package (a document or a status) from it. */
  lastPackageAt: Date | null;
  /** Copies addressed to it that it has not taken yet: its inbox depth, whatever its transport. */
  waiting: number;
}

export interface DocumentEvidence {
  signature: SignatureRecord | null;
  receipts: Array<{ id: string; to: string; outcome: string; reason: string | null; issuedAt: Date }>;
}

/** A certificate the bus is configured with (not learnt from traffic). */
export interface ConfiguredCertificate {
  source: 'trust-anchor' | 'intermediate' | 'bus' | 'tls-server';
  subject: string;
  organId: string | null;
  notAfter: Date;
}

/** What monitoring watches besides the traffic: certificates, revocation sources, the audit sealer, standbys. */
export interface OperationalFigures {
  /** Signing certificates used in the last 90 days. */
  signers: Array<{ subject: string; organId: string | null; notAfter: Date }>;
  revocationSources: Array<{
    url: string;
    method: 'ocsp' | 'crl';
    failuresInARow: number;
    lastSuccessAt: Date | null;
  }>;
  /** Events recorded but not yet numbered and chained by the sealer. */
  audit: { pending: number; oldestPendingSeconds: number; lastCheckpointAgeSeconds: number | null };
  /** Streaming standbys as the primary sees them (empty: none, or not allowed to look). */
  standbys: Array<{ name: string; replayLagSeconds: number | null }>;
}

/** Port: the certificates in the bus's configuration, for the expiry watch. */
export abstract class ConfiguredCertificates {
  abstract list(): ConfiguredCertificate[];
}

/** Port: the console's read side (indexed, keyset-paginated queries). */
export abstract class ConsoleReadModel {
  /** Everything but the configured certificates; signers expiring before `expiryHorizon` and still in use. */
  abstract overview(
    now: Date,
    expiryHorizon: Date,
  ): Promise<
    Omit<ConsoleOverviewFigures, 'expiringCertificates'> & { expiringSigners: ExpiringCertificate[] }
  >;
  abstract searchDeliveries(
    search: DeliverySearch,
    after: string | null,
    limit: number,
  ): Promise<{ lines: DeliveryLine[]; next: string | null }>;
  abstract senderOf(busId: string): Promise<string | null>;
  abstract endpointActivity(): Promise<EndpointActivity[]>;
  /** What the bus recorded about a package's signature and the receipts it issued for it. */
  abstract evidenceOf(busId: string): Promise<DocumentEvidence>;
  abstract operationalFigures(now: Date): Promise<OperationalFigures>;
}
