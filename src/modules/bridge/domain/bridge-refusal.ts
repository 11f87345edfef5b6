/** Why a bridge call was refused before (or instead of) reaching a package use case. */
export type BridgeRefusalCode =
  /** Unknown system, no secret issued, HMAC or token wrong, missing signature headers. */
  | 'BAD_CREDENTIALS'
  /** The signed timestamp is outside the allowed clock skew (or unreadable). */
  | 'STALE_TIMESTAMP'
  /** This exact signed request was seen before. */
  | 'REPLAYED'
  /** The `from` parameter names another organ than the credentials. */
  | 'FROM_MISMATCH'
  /** The item does not exist for this endpoint (whether it exists for another is not said). */
  | 'NOT_FOUND'
  /** The parameters of the call are missing or malformed. */
  | 'BAD_REQUEST';

export interface BridgeRefusal {
  code: BridgeRefusalCode;
  reason: string;
}
