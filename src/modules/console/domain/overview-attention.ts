import type {
  ConsoleOverviewFigures,
  ExpiringCertificate,
  RevocationSourceHealth,
} from '../console-read-model.port';

/**
 * A copy waiting longer than this in an inbox is a problem worth an operator's eye: DMSs take
 * their mail every minute or two, and an urgent document's arrival deadline is 15 minutes.
 */
export const BACKLOG_ATTENTION_SECONDS = 600;

type Backlog = ConsoleOverviewFigures['backlog'][number];

/** What an operator must look at first; everything else on the overview is context. */
export interface OverviewAttention {
  /** Endpoints with an overdue copy or a copy waiting past BACKLOG_ATTENTION_SECONDS, worst first. */
  endpoints: Backlog[];
  overdueCopies: number;
  /** Sources that failed their last fetch, or whose certificates stand on the grace period. */
  failingRevocationSources: RevocationSourceHealth[];
  /** Expired, or expiring within the watch window. */
  expiringCertificates: ExpiringCertificate[];
  deadLetters: number;
  /** Active endpoints with nothing that needs attention: shown as one line, not 95. */
  quietEndpoints: number;
}

export function overviewAttention(
  figures: ConsoleOverviewFigures,
  activeEndpoints: number,
): OverviewAttention {
  const endpoints = figures.backlog
    .filter((b) => b.overdue > 0 || (b.waiting > 0 && b.oldestSeconds > BACKLOG_ATTENTION_SECONDS))
    .sort((a, b) => b.overdue - a.overdue || b.oldestSeconds - a.oldestSeconds);
  return {
    endpoints,
    overdueCopies: figures.backlog.reduce((n, b) => n + b.overdue, 0),
    failingRevocationSources: figures.revocationSources.filter((r) => r.failuresInARow > 0 || r.onGrace > 0),
    expiringCertificates: figures.expiringCertificates,
    deadLetters: figures.deadLetters,
    quietEndpoints: Math.max(0, activeEndpoints - endpoints.length),
  };
}

export function needsAttention(a: OverviewAttention): boolean {
  return (
    a.endpoints.length > 0 ||
    a.failingRevocationSources.length > 0 ||
    a.expiringCertificates.length > 0 ||
    a.deadLetters > 0
  );
}
