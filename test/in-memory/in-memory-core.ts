import { createHash } from 'node:crypto';
import {
  LifecycleSettings,
  DEFAULT_ARRIVAL_SECONDS,
  DEFAULT_DECISION_SECONDS,
} from '../../src/modules/delivery/lifecycle-settings';
import { OutboxDispatcher, type PendingMessage } from '../../src/modules/delivery/outbox-dispatcher.port';
import { DeliveryChannels } from '../../src/modules/delivery/delivery-channels';
import { ReceiptIssuer } from '../../src/modules/delivery/receipt-issuer';
import { ReceiptSigner } from '../../src/modules/delivery/receipt-signer.port';
import { FlagOverdueCopies } from '../../src/modules/delivery/use-cases/flag-overdue-copies.use-case';
import { GetDocumentTrace } from '../../src/modules/delivery/use-cases/get-document-trace.use-case';
import type { EdocPackage } from '../../src/modules/edoc/domain/edoc-package';
import type { StatusPackage } from '../../src/modules/edoc/domain/status-package';
import {
  PackageInspection,
  type InspectionRequest,
  type InspectionResult,
} from '../../src/modules/edoc/inspection/package-inspection.port';
import { Directory } from '../../src/modules/registry/directory';
import type { Endpoint } from '../../src/modules/registry/domain/endpoint';
import { AcknowledgeDelivery } from '../../src/modules/routing/use-cases/acknowledge-delivery/acknowledge-delivery.use-case';
import { AcceptDocument } from '../../src/modules/routing/use-cases/submit-package/accept-document.use-case';
import { AcceptStatus } from '../../src/modules/routing/use-cases/submit-package/accept-status.use-case';
import { RejectPackage } from '../../src/modules/routing/use-cases/submit-package/reject-package.use-case';
import type { SubmitPackageCommand } from '../../src/modules/routing/use-cases/submit-package/submit-package.command';
import { SubmitPackage } from '../../src/modules/routing/use-cases/submit-package/submit-package.use-case';
import { SubmissionMetrics } from '../../src/modules/routing/submission-metrics.port';
import { Clock } from '../../src/modules/shared/clock';
import { Uuid7Generator } from '../../src/modules/shared/ids';
import type { Refusal } from '../../src/modules/shared/reasons';
import { AssessSignature } from '../../src/modules/trust/assess-signature.use-case';
import type { CertificateFacts } from '../../src/modules/trust/pki/certificate-facts';
import { RevocationChecker } from '../../src/modules/trust/revocation/revocation-checker';
import type { RevocationVerdict } from '../../src/modules/trust/revocation/revocation';
import { DEFAULT_XML_LIMITS } from '../../src/modules/xml/prescan';
import { InMemoryEndpointRepository } from './in-memory-endpoints';
import {
  InMemoryDeliveryRepository,
  InMemoryRecords,
  InMemorySubmissionRepository,
} from './in-memory-records';
import type { CopyRow } from './in-memory-records';
import type { OutboxRecord, TraceEventRecord } from '../../src/modules/delivery/delivery-records';
import type { DeliveryRepository } from '../../src/modules/delivery/delivery-repository.port';
import type {
  QuarantineRecord,
  SubmissionRepository,
} from '../../src/modules/routing/submission-repository.port';

/** "Now" as the test says. */
export class TestClock extends Clock {
  constructor(private at = new Date('2026-12-01T08:00:00Z')) {
    super();
  }
  now(): Date {
    return new Date(this.at);
  }
  advance(seconds: number): void {
    this.at = new Date(this.at.getTime() + seconds * 1000);
  }
}

/** What the fast path would publish: the rows handed over after each commit. */
export class RecordingOutbox extends OutboxDispatcher {
  readonly dispatched: PendingMessage[] = [];
  dispatch(messages: PendingMessage[]): void {
    this.dispatched.push(...messages);
  }
}

class NoMetrics extends SubmissionMetrics {
  observeStage(): void {}
  countOutcome(): void {}
}

/** The receipt's XML as written; the bus's XML signature is checked by the integration suites. */
class UnsignedReceipts extends ReceiptSigner {
  sign(canonicalRoot: string): string {
    return canonicalRoot;
  }
}

/** Revocation answers set by the test, per certificate subject (good unless said otherwise). */
export class ScriptedRevocation extends RevocationChecker {
  readonly verdicts = new Map<string, RevocationVerdict['status']>();
  constructor() {
    super(undefined as never, undefined as never, undefined as never, undefined as never);
  }
  override async check(cert: CertificateFacts): Promise<RevocationVerdict> {
    const status = this.verdicts.get(cert.subject) ?? 'good';
    if (status === 'good' || status === 'revoked')
      return {
        status,
        evidence: {
          fingerprint: cert.fingerprint,
          method: 'ocsp',
          url: 'http://ocsp.test',
          status,
          thisUpdate: '',
          nextUpdate: '',
          fetchedAt: '',
          ageSeconds: 1,
          stale: false,
          ...(status === 'revoked' ? { revokedAt: '2026-11-01T00:00:00Z' } : {}),
        },
      };
    return { status: 'unknown', reason: 'no OCSP or CRL answered' };
  }
}

/**
 * Inspection as the worker pool would answer, without XML: the test says what a package "is"
 * (its model and signature) by its bytes. The XML checks themselves have their own suites.
 */
export class ScriptedInspection extends PackageInspection {
  private readonly answers = new Map<string, InspectionResult>();

  /** Bytes that inspect as this document (or status), signed by a certificate of `signer`. */
  package(model: EdocPackage | StatusPackage, signer: string | null = organOf(model)): Buffer {
    const bytes = Buffer.from(`${JSON.stringify(model)}#${this.answers.size}`);
    const facts = { sha256: sha256(bytes), size: bytes.length };
    const signature = signer ? verifiedBy(signer) : ({ status: 'absent' } as const);
    this.answers.set(
      facts.sha256,
      model.kind === 'edoc'
        ? { ...facts, ok: true, kind: 'edoc', model, signature, pdfSignatures: [], warnings: [] }
        : { ...facts, ok: true, kind: 'status', model, signature, warnings: [] },
    );
    return bytes;
  }

  /** Bytes that inspection refuses (malformed, schema-invalid…). */
  refused(refusal: Refusal): Buffer {
    const bytes = Buffer.from(`refused#${this.answers.size}`);
    const facts = { sha256: sha256(bytes), size: bytes.length };
    this.answers.set(facts.sha256, {
      ...facts,
      ok: false,
      refusal,
      kind: null,
      claimedSender: null,
      documentId: null,
    });
    return bytes;
  }

  async inspect(request: InspectionRequest): Promise<InspectionResult> {
    const bytes = request.bytes as Uint8Array;
    const answer = this.answers.get(sha256(bytes));
    if (!answer) throw new Error('the test did not script this package');
    return answer;
  }
}

/** What a test reads of the records a use case left, whatever keeps them. */
export interface RecordsView {
  copy(
    busId: string,
    recipient: string,
  ): Promise<Pick<CopyRow, 'state' | 'changeState' | 'overdue' | 'lastStatusCode'> | undefined>;
  /**
   * Messages of this kind (all when none is given) in the order they were written: the outbox's
   * (broker channel), then the pull inboxes' items (each with its channel).
   */
  messages(type?: OutboxRecord['messageType']): Promise<OutboxRecord[]>;
  /** A polling endpoint's pull inbox: its items' kinds, ids and states, in order. */
  pullInbox(endpoint: string): Promise<Array<{ messageType: string; messageId: string; state: string }>>;
  /** The last trace event written. */
  lastTrace(): Promise<Pick<TraceEventRecord, 'event' | 'stateBefore' | 'stateAfter' | 'flag'> | undefined>;
  /** Every trace event's name, in the order written. */
  traceEvents(): Promise<string[]>;
  quarantine(): Promise<
    Array<Pick<QuarantineRecord, 'reasonCode' | 'authenticatedSender' | 'claimedSender'>>
  >;
  receiptCount(): Promise<number>;
}

/**
 * The core use cases wired to the given repositories as the bus's Nest module wires them, with
 * scripted inspection and revocation, a settable clock and a recording outbox.
 */
export function wireCore(ports: {
  submissions: SubmissionRepository;
  deliveries: DeliveryRepository;
  endpoints: Endpoint[];
}) {
  const clock = new TestClock();
  const ids = new Uuid7Generator();
  const registry = new InMemoryEndpointRepository(ports.endpoints);
  const directory = new Directory(registry, clock, 0);
  const channels = new DeliveryChannels(directory);
  const { submissions, deliveries } = ports;
  const outbox = new RecordingOutbox();
  const receipts = new ReceiptIssuer(ids, clock, new UnsignedReceipts());
  const settings = { xmlLimits: DEFAULT_XML_LIMITS, quarantineMaxStoredBytes: 64 * 1024 };
  const lifecycle: LifecycleSettings = {
    arrivalSeconds: DEFAULT_ARRIVAL_SECONDS,
    decisionSeconds: DEFAULT_DECISION_SECONDS,
  };
  const reject = new RejectPackage(submissions, outbox, receipts, directory, settings, ids);
  const revocation = new ScriptedRevocation();
  const inspection = new ScriptedInspection();
  const submit = new SubmitPackage(
    inspection,
    directory,
    submissions,
    new AcceptDocument(directory, submissions, outbox, receipts, reject, ids, clock, lifecycle, channels),
    new AcceptStatus(submissions, outbox, receipts, reject, ids, clock, channels),
    reject,
    settings,
    new NoMetrics(),
    new AssessSignature(revocation, { pdfSignaturePolicy: 'report' }),
  );
  const command = (
    sender: string | null,
    body: Buffer,
    extra: Partial<SubmitPackageCommand> = {},
  ): SubmitPackageCommand => ({
    transport: 'amqp',
    authenticatedSender: sender,
    declaredKind: null,
    transportMessageId: null,
    possiblyRedelivered: false,
    body,
    receivedAt: clock.now(),
    ...extra,
  });
  return {
    clock,
    registry,
    directory,
    outbox,
    inspection,
    revocation,
    command,
    submit,
    acknowledgeDelivery: new AcknowledgeDelivery(deliveries, reject, clock),
    flagOverdue: new FlagOverdueCopies(deliveries, receipts, outbox, clock, channels),
    trace: new GetDocumentTrace(deliveries),
  };
}

export type WiredCore = ReturnType<typeof wireCore> & { view: RecordsView };

/** The core with every port in memory. */
export function inMemoryCore(endpoints: Endpoint[]) {
  const records = new InMemoryRecords();
  const core = wireCore({
    submissions: new InMemorySubmissionRepository(records),
    deliveries: new InMemoryDeliveryRepository(records),
    endpoints,
  });
  const view: RecordsView = {
    copy: async (busId, recipient) => records.copy(busId, recipient),
    messages: async (type) => records.messages(type),
    pullInbox: async (endpoint) =>
      records.pullInbox
        .filter((i) => i.record.destination === endpoint)
        .map((i) => ({ messageType: i.record.messageType, messageId: i.record.messageId, state: i.state })),
    lastTrace: async () => records.trace.at(-1),
    traceEvents: async () => records.trace.map((e) => e.event),
    quarantine: async () => records.quarantine,
    receiptCount: async () => records.receipts.length,
  };
  return { ...core, records, view };
}

function organOf(model: EdocPackage | StatusPackage): string {
  return model.kind === 'edoc' ? model.header.from.organId : model.from.organId;
}

function certificate(subject: string, organId: string | null, isCa: boolean): CertificateFacts {
  return {
    fingerprint: `fp:${subject}`,
    der: '',
    subject,
    issuer: '',
    serialNumber: '01',
    notBefore: '2026-01-01T00:00:00Z',
    notAfter: '2028-01-01T00:00:00Z',
    organId,
    isCa,
    canSign: true,
    ocspUrls: [],
    crlUrls: [],
    caIssuerUrls: [],
  };
}

function verifiedBy(organId: string) {
  const signer = certificate(`CN=${organId}`, organId, false);
  return {
    status: 'verified' as const,
    legacy: [],
    chain: {
      signer,
      path: [signer, certificate('CN=Test CA', null, true)],
      anchor: certificate('CN=Test Root', null, true),
    },
    algorithms: { signature: 'rsa-sha256', digest: 'sha256', canonicalization: 'c14n', transforms: [] },
  };
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
