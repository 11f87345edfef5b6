/** Seconds an outbox row stays reserved for the process that wrote it before anyone may sweep it. */
export const OUTBOX_LEASE_SECONDS = Symbol('OUTBOX_LEASE_SECONDS');
