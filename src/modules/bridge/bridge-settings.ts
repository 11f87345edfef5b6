/** Bridge rules from configuration. */
export class BridgeSettings {
  constructor(
    /** How far a request's timestamp may be from the bus's clock, either way. */
    readonly clockSkewSeconds: number,
    /** The time zone the axis SDK writes its timestamps in (Vietnam: +420 minutes). */
    readonly timestampZoneOffsetMinutes: number,
    /** How long a listed item is reserved for the poller that listed it. */
    readonly listingLeaseSeconds: number,
    /** `fail` answers before an item goes to the dead letters. */
    readonly failLimit: number,
  ) {}
}
