/**
 * Remembers the ids of messages a client has handled, so a redelivery (the broker resends what
 * was not acknowledged before a disconnect; the bus may publish a copy twice after a crash) is
 * acknowledged without calling the handler again. In memory and bounded; a DMS that must survive
 * its own restarts without re-handling passes a store backed by its database.
 */
export interface ProcessedMessageStore {
  has(messageId: string): Promise<boolean> | boolean;
  add(messageId: string): Promise<void> | void;
}

export class InMemoryProcessedMessages implements ProcessedMessageStore {
  private readonly ids = new Set<string>();

  constructor(private readonly capacity = 100_000) {}

  has(messageId: string): boolean {
    return this.ids.has(messageId);
  }

  add(messageId: string): void {
    this.ids.add(messageId);
    if (this.ids.size > this.capacity) {
      // Sets iterate in insertion order: drop the oldest.
      const oldest = this.ids.values().next().value;
      if (oldest !== undefined) this.ids.delete(oldest);
    }
  }
}
