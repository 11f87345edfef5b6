import type { PackageKind } from '../../../edoc/inspection/package-inspection.port';
import type { PackageBody } from '../../../shared/package-body';
import type { TransportName } from '../../../delivery/delivery-records';

/**
 * A package handed to the bus by any transport. Built by adapters from what the transport has
 * authenticated; the package bytes are untrusted.
 */
export interface SubmitPackageCommand {
  transport: TransportName;
  /** The organ the connection is authenticated as (broker `user_id`, bridge credentials); `null` if none. */
  authenticatedSender: string | null;
  declaredKind: PackageKind | null;
  /** The sender's id for this message (AMQP `message_id`); a redelivery carries the same one. */
  transportMessageId: string | null;
  /**
   * The transport may have handed this message over before (AMQP `redelivered`, a client retry):
   * check whether it was already processed before doing the work again.
   */
  possiblyRedelivered: boolean;
  /** The package: bytes, or a spool file for a large upload (see shared/package-body.ts). */
  body: PackageBody;
  receivedAt: Date;
}
