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
}

/** A closed organ code (e.g. a province merged in 2025) and the code that inherits its mail. */
export interface OrganAlias {
  closedCode: string;
  successorCode: string;
  effectiveFrom: string | null;
  reason: string | null;
}
