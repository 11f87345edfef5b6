/** A request that the domain refuses for a reason the caller can act on (unknown code, bad state…). */
export class DomainRuleError extends Error {
  constructor(
    readonly rule: string,
    message: string,
  ) {
    super(message);
    this.name = 'DomainRuleError';
  }
}

/** Something the bus depends on (database, broker) is unreachable: retry later, do not refuse. */
export class InfrastructureUnavailableError extends Error {
  constructor(
    readonly service: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'InfrastructureUnavailableError';
  }
}
