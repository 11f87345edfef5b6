/*
 * When a copy that could not be put in its inbox is tried again: the delivery's rules, which the
 * outbox relay (the broker adapter) applies to each publish.
 */

/**
 * One breaker per destination: after `failures` publishes in a row fail, the destination is paused
 * for `pauseMs` (its messages wait in the outbox instead of hammering a broken queue and delaying
 * everyone else's), then one attempt is let through; success closes the breaker, failure pauses
 * it again.
 */
export class CircuitBreakers {
  private readonly state = new Map<string, { failures: number; openUntil: number }>();

  constructor(
    private readonly failures: number,
    private readonly pauseMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds until the destination may be tried again; 0 if it may be tried now. */
  pausedFor(destination: string): number {
    const s = this.state.get(destination);
    if (!s || s.openUntil === 0) return 0;
    return Math.max(0, s.openUntil - this.now());
  }

  /** Returns true when the destination had been failing (its deferred messages may go now). */
  succeeded(destination: string): boolean {
    return this.state.delete(destination);
  }

  /** Returns true when this failure opened (or re-opened) the breaker. */
  failed(destination: string): boolean {
    const s = this.state.get(destination) ?? { failures: 0, openUntil: 0 };
    s.failures++;
    const open = s.failures >= this.failures;
    if (open) s.openUntil = this.now() + this.pauseMs;
    this.state.set(destination, s);
    return open;
  }

  /** Destinations currently paused. */
  open(): string[] {
    const now = this.now();
    return [...this.state.entries()].filter(([, s]) => s.openUntil > now).map(([d]) => d);
  }
}

/** Seconds before the next try of a row that failed `attempts` times: 2, 4, 8 … capped at 5 minutes. */
export function backoffSeconds(attempts: number): number {
  return Math.min(300, 2 ** Math.max(1, Math.min(attempts, 9)));
}
