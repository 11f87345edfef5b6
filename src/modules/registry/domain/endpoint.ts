import type { SignaturePolicy } from '../../trust/policy/signature-policy';
import type { OrganCategory } from './organ-code';

export type Transport = 'amqp' | 'bridge';

/**
 * What a bridge endpoint's calls must carry: its shared-secret credentials (`hmac`: the axis
 * SDK's HMAC, the SOAP password, the REST token — what existing clients have), its organ's
 * certificate in the TLS handshake (`mtls`), or both (`mtls+hmac`).
 */
export const BRIDGE_AUTH_MODES = ['hmac', 'mtls', 'mtls+hmac'] as const;
export type BridgeAuth = (typeof BRIDGE_AUTH_MODES)[number];

export function requiresCertificate(mode: BridgeAuth): boolean {
  return mode !== 'hmac';
}

export function requiresSecret(mode: BridgeAuth): boolean {
  return mode !== 'mtls';
}
export type EndpointStatus = 'active' | 'locked' | 'closed';

/** A connection point of the bus: one organ, one inbox. */
export interface Endpoint {
  organId: string;
  codeQd20: string | null;
  name: string;
  category: OrganCategory;
  transport: Transport;
  status: EndpointStatus;
  statusReason: string | null;
  /** How strictly its packages' signatures are checked (operators set it, every change is kept). */
  signaturePolicy: SignaturePolicy;
  /** What its bridge calls must carry (AMQP endpoints: unused). */
  bridgeAuth: BridgeAuth;
}

/** A closed organ code (e.g. a province merged in 2025) and the code that inherits its mail. */
export interface OrganAlias {
  closedCode: string;
  successorCode: string;
  effectiveFrom: string | null;
  reason: string | null;
}
