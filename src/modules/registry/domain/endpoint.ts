import type { SignaturePolicy } from '../../trust/policy/signature-policy';
import type { OrganCategory } from './organ-code';

export type Transport = 'amqp' | 'bridge';
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
}

/** A closed organ code (e.g. a province merged in 2025) and the code that inherits its mail. */
export interface OrganAlias {
  closedCode: string;
  successorCode: string;
  effectiveFrom: string | null;
  reason: string | null;
}
