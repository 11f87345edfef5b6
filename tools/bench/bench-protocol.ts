/** What the benchmark's child processes are told and what they report, as JSON files. */

export interface EndpointAccess {
  organId: string;
  url: string;
  /** The endpoint's signing key and certificate (PEM), for producers. */
  signing?: { keyPem: string; certificatePem: string };
  /** Over AMQPS: the broker's roots and the endpoint's certificate and key (EXTERNAL login). */
  tls?: { caPem: string; certificatePem: string; keyPem: string };
}

/**
 * Recipients per document: a fixed number, or `mixed` — the national axis's own shape (≈ 3 on
 * average): 55 % to one recipient, 30 % to three, 15 % to ten, and one broadcast to every other
 * endpoint per thousand documents.
 */
export type RecipientMix = 'mixed' | number;

/** The recipients of document `i` from `sender`: deterministic, so every process agrees on the plan. */
export function recipientsOf(i: number, mix: RecipientMix, sender: string, all: readonly string[]): string[] {
  const others = all.filter((o) => o !== sender);
  let count: number;
  if (mix === 'mixed') {
    const bucket = (i * 37) % 100;
    count = i % 1000 === 999 ? others.length : bucket < 55 ? 1 : bucket < 85 ? 3 : 10;
  } else count = mix;
  if (count >= others.length) return others;
  const start = (i * 7) % others.length;
  return Array.from({ length: count }, (_, k) => others[(start + k) % others.length]!);
}

export interface ProducerTask {
  senders: EndpointAccess[];
  /** Every endpoint's organ code (the broadcast goes to all but the sender). */
  endpoints: string[];
  documents: number;
  mix: RecipientMix;
  /** Approximate package size in bytes (the attachment is sized to reach it). */
  packageBytes: number;
  /** Unconfirmed sends in flight (closed-loop load), or… */
  window: number;
  /** …a fixed rate in documents per second (open-loop load, for latency at a given load); 0 = off. */
  rate: number;
  /** Documents numbered from here (unique across the runs of one benchmark). */
  firstNumber: number;
  /** Copies the senders' own inboxes must receive (broadcasts reach senders too). */
  expectedCopies: number;
  /**
   * Overtaking test: every document is ordinary except the last, Hỏa tốc (priority 3), sent only
   * once the broker holds all the others — it must overtake that backlog.
   */
  urgentLast?: boolean;
  out: string;
}

export interface CopyArrival {
  documentId: string;
  busId: string;
  recipient: string;
  at: number;
}

export interface ProducerReport {
  sent: Array<{ documentId: string; at: number; recipients: number }>;
  receipts: Array<{ documentId: string; outcome: string; reason?: string; busId?: string; at: number }>;
  /** Copies that reached the senders' own inboxes. */
  copies: CopyArrival[];
  duplicatesDropped: number;
  firstSendAt: number;
  lastSendAt: number;
  cpuSeconds: number;
  peakRssBytes: number;
}

/** The document number inside a DocumentId (`organ,yyyy/MM/dd,number/notation`): tells a run's documents apart. */
export function documentNumber(documentId: string): number {
  return Number(/,(\d+)\/[^,]*$/.exec(documentId)?.[1] ?? -1);
}

/** The numbers a run's documents carry: what its processes count (leftovers of earlier runs are not). */
export interface RunNumbers {
  firstNumber: number;
  documents: number;
}

export function inRun(documentId: string, run: RunNumbers): boolean {
  const n = documentNumber(documentId);
  return n >= run.firstNumber && n < run.firstNumber + run.documents;
}

export interface RecipientTask {
  recipients: EndpointAccess[];
  run: RunNumbers;
  expectedCopies: number;
  out: string;
  timeoutMs: number;
}

export interface RecipientReport {
  copies: CopyArrival[];
  duplicatesDropped: number;
  cpuSeconds: number;
  peakRssBytes: number;
}
