/** The edoc-bus client library for document-management systems (import 'edoc-bus/sdk'). */
export { EdocBusClient } from './edoc-bus-client';
export type {
  DocumentReference,
  EdocBusClientOptions,
  ReceivedDocument,
  ReceivedReceipt,
  ReceivedStatus,
  ReceivedWithdrawal,
  DocumentTraceView,
  TraceStepView,
} from './edoc-bus-client';
export { InMemoryProcessedMessages, type ProcessedMessageStore } from './processed-messages';
export {
  writeEdocPackage,
  type EdocDraft,
  type AttachmentDraft,
} from '../../../modules/edoc/writing/write-edoc-package';
export {
  writeStatusPackage,
  formatEdxmlDate,
  formatEdxmlTimestamp,
} from '../../../modules/edoc/writing/write-status-package';
export { SUBMIT_EXCHANGE, INGRESS_QUEUE, inboxQueue, HEADERS, MESSAGE_TYPES } from '../amqp-names';
