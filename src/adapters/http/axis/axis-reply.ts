import type { BridgeRefusal, BridgeRefusalCode } from '../../../modules/bridge/domain/bridge-refusal';
import type { ReasonCode } from '../../../modules/shared/reasons';

/** The axis error codes (national axis SDK, LGSP facades). */
export const AXIS_ERROR = {
  ok: '0',
  badFile: '10',
  badCredentials: '15',
  unknownRecipient: '18',
  senderNotRegistered: '19',
  serverError: '20',
  fileProcessing: '21',
  notEdxml: '22',
  recipientLocked: '23',
} as const;

export type AxisErrorCode = (typeof AXIS_ERROR)[keyof typeof AXIS_ERROR];

export interface AxisReply {
  status: 'OK' | 'FAIL';
  ErrorCode: AxisErrorCode;
  ErrorDesc: string;
  data: unknown;
  [extra: string]: unknown;
}

export function ok(data: unknown, extra: Record<string, unknown> = {}): AxisReply {
  return { status: 'OK', ErrorCode: AXIS_ERROR.ok, ErrorDesc: '', data, ...extra };
}

/** A failure; `ErrorDesc` always starts with the bus's reason code, whatever the axis code. */
export function fail(code: AxisErrorCode, reasonCode: string, description: string): AxisReply {
  return { status: 'FAIL', ErrorCode: code, ErrorDesc: `${reasonCode}: ${description}`, data: null };
}

/** A refused bridge call in the axis's words. */
export function refusedCall(refusal: BridgeRefusal): AxisReply {
  return fail(axisCodeForBridgeRefusal(refusal.code), refusal.code, refusal.reason);
}

/** A package refusal in the axis's words; the bus's own reason code leads the description. */
export function axisCodeForRefusal(code: ReasonCode): AxisErrorCode {
  switch (code) {
    case 'TOO_LARGE':
      return AXIS_ERROR.badFile;
    case 'XML_MALFORMED':
    case 'XML_DOCTYPE_FORBIDDEN':
    case 'XML_LIMIT_EXCEEDED':
    case 'NOT_EDXML':
    case 'TYPE_MISMATCH':
    case 'XSD_INVALID':
    case 'EDXML_INVALID':
    case 'STATUS_CODE_UNKNOWN':
      return AXIS_ERROR.notEdxml;
    case 'SENDER_UNAUTHENTICATED':
    case 'SENDER_MISMATCH':
    case 'CERT_ORG_MISMATCH':
      return AXIS_ERROR.badCredentials;
    case 'SENDER_NOT_REGISTERED':
    case 'SENDER_LOCKED':
      return AXIS_ERROR.senderNotRegistered;
    case 'UNKNOWN_RECIPIENT':
    case 'NO_VALID_RECIPIENT':
      return AXIS_ERROR.unknownRecipient;
    case 'RECIPIENT_LOCKED':
      return AXIS_ERROR.recipientLocked;
    case 'INTERNAL_ERROR':
      return AXIS_ERROR.serverError;
    default:
      return AXIS_ERROR.fileProcessing;
  }
}

export function axisCodeForBridgeRefusal(code: BridgeRefusalCode): AxisErrorCode {
  switch (code) {
    case 'BAD_CREDENTIALS':
    case 'STALE_TIMESTAMP':
    case 'REPLAYED':
    case 'FROM_MISMATCH':
      return AXIS_ERROR.badCredentials;
    case 'BAD_REQUEST':
      return AXIS_ERROR.badFile;
    case 'NOT_FOUND':
      return AXIS_ERROR.fileProcessing;
  }
}
