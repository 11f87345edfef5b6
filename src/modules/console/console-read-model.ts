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
}

/** Port: the console's read side (indexed, keyset-paginated queries). */
export abstract class ConsoleReadModel {
  abstract overview(now: Date): Promise<ConsoleOverviewFigures>;
  abstract searchDeliveries(
    search: DeliverySearch,
    after: string | null,
    limit: number,
  ): Promise<{ lines: DeliveryLine[]; next: string | null }>;
  abstract senderOf(busId: string): Promise<string | null>;
}
