import { randomBytes } from 'node:crypto';

/** Issues the bus's own identifiers. */
export abstract class IdGenerator {
  abstract newId(): string;
  /** An id of the moment `unixMs`, for a record filed in the month of an earlier one. */
  abstract newIdAt(unixMs: number): string;
}

/**
 * UUID version 7 (RFC 9562): 48-bit Unix milliseconds then random bits. Time-ordered ids keep
 * B-tree inserts on the right edge of the index, which matters at hundreds of inserts a second.
 */
export class Uuid7Generator extends IdGenerator {
  newId(): string {
    return uuid7(Date.now());
  }

  newIdAt(unixMs: number): string {
    return uuid7(unixMs);
  }
}

export function uuid7(unixMs: number): string {
  const bytes = randomBytes(16);
  bytes.writeUIntBE(unixMs, 0, 6);
  bytes[6] = (bytes[6]! & 0x0f) | 0x70;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The smallest UUIDv7 of a millisecond: `id >= uuid7Floor(t)` holds for every id made at or after t. */
export function uuid7Floor(unixMs: number): string {
  const hex = Math.max(0, Math.floor(unixMs)).toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-0000-0000-000000000000`;
}

/** The millisecond a UUIDv7 was made (its first 48 bits). */
export function uuid7Time(id: string): number {
  return parseInt(id.replace(/-/g, '').slice(0, 12), 16);
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isUuid(value: string): boolean {
  return UUID_PATTERN.test(value);
}
