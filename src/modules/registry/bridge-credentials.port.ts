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
