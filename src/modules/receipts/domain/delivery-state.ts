import type { StatusCode } from '../../edoc/domain/status-package';

/**
 * States of one copy of a document (one recipient). `queued` = stored and put in the recipient's
 * inbox (or held for a bridge); the others follow the recipient's status packages.
 */
export type DeliveryState =
  | 'queued'
  | 'delivered'
  | 'arrived'
  | 'rejected'
  | 'accepted'
  | 'assigned'
  | 'processing'
  | 'completed'
  | 'recall_requested'
  | 'recall_agreed'
  | 'recall_refused';

export const STATE_FOR_STATUS: Record<StatusCode, DeliveryState> = {
  '01': 'arrived',
  '02': 'rejected',
  '03': 'accepted',
  '04': 'assigned',
  '05': 'processing',
  '06': 'completed',
  '13': 'recall_requested',
  '15': 'recall_agreed',
  '16': 'recall_refused',
};
