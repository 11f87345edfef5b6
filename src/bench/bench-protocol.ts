/** What the benchmark's child processes are told and what they report, as JSON files. */

export interface EndpointAccess {
  organId: string;
  url: string;
  /** The endpoint's signing key and certificate (PEM), for producers. */
  signing?: { keyPem: string; certificatePem: string };
}

export interface ProducerTask {
  senders: EndpointAccess[];
  recipients: string[];
  documents: number;
  recipientsPerDocument: number;
  /** Approximate package size in bytes (the attachment is sized to reach it). */
  packageBytes: number;
  /** Unconfirmed sends in flight (closed-loop load), or… */
  window: number;
  /** …a fixed rate in documents per second (open-loop load, for latency at a given load); 0 = off. */
  rate: number;
  runId: string;
  out: string;
}

export interface ProducerReport {
  sent: Array<{ documentId: string; at: number }>;
  receipts: Array<{ documentId: string; outcome: string; reason?: string; busId?: string; at: number }>;
  firstSendAt: number;
  lastSendAt: number;
  cpuSeconds: number;
  peakRssBytes: number;
}

export interface RecipientTask {
  recipients: EndpointAccess[];
  expectedCopies: number;
  out: string;
  timeoutMs: number;
}

export interface RecipientReport {
  copies: Array<{ documentId: string; busId: string; recipient: string; at: number }>;
  duplicatesDropped: number;
  cpuSeconds: number;
  peakRssBytes: number;
}
