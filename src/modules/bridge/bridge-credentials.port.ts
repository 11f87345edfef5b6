/** What a bridge endpoint's system is given once (shown to the operator, never stored in clear). */
export interface IssuedBridgeCredentials {
  organId: string;
  /** `systemid` of the axis SDK: the organ code. */
  systemId: string;
  /** HMAC key of the axis SDK scheme; also the SOAP UsernameToken password. */
  secret: string;
  /** Bearer token of the REST API. */
  token: string;
}

/**
 * Port: bridge credentials. The HMAC secret must be recoverable to verify a signature, so it is
 * kept encrypted; the bearer token is only compared, so only its hash is kept. Issuing again
 * rotates both.
 */
export abstract class BridgeCredentials {
  abstract issue(organId: string, at: Date): Promise<IssuedBridgeCredentials>;
  abstract secretOf(organId: string): Promise<string | null>;
  abstract organOfToken(token: string): Promise<string | null>;
  /** Removes the endpoint's secret and token: no bridge accepts them any more. */
  abstract revoke(organId: string): Promise<void>;
}

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
