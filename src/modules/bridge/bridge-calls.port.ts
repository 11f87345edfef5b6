/** Port: signatures already used, so a captured request cannot be played again. */
export abstract class ReplayGuard {
  /** True the first time this endpoint's signature is seen; false on a replay. */
  abstract firstSeen(organId: string, signature: string, at: Date): Promise<boolean>;
  /** Forgets signatures older than `before` (they would fail the clock check anyway). */
  abstract forgetBefore(before: Date): Promise<void>;
}

export interface BridgeRefusalRecord {
  at: Date;
  transport: string;
  operation: string;
  /** Who the caller said it was (system id, header `from`), if anything. */
  claimed: string | null;
  code: string;
  reason: string;
  remote: string | null;
}

/** Port: every refused bridge call is kept (bad credentials, replays, someone else's items). */
export abstract class BridgeRefusals {
  abstract record(refusal: BridgeRefusalRecord): Promise<void>;
}
