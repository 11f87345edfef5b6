import type { PackageBody } from '../../shared/package-body';
import type { Refusal } from '../../shared/reasons';
import type { EdocPackage } from '../domain/edoc-package';
import type { StatusPackage } from '../domain/status-package';
import type { PdfSignatureFinding } from '../../trust/pdf/pdf-signatures';
import type { XmlSignatureOutcome } from '../../trust/xmldsig/xml-signature-verifier';
import type { XmlLimits } from '../../xml/prescan';

/** The signature as the worker found it: verified (path and cryptography checked) or absent. */
export type InspectedSignature = Exclude<XmlSignatureOutcome, { status: 'refused' }>;

export type PackageKind = 'edoc' | 'status';

export interface InspectionRequest {
  bytes: PackageBody;
  /** What the transport says it is (AMQP `type`, bridge `messagetype`); `null` to detect. */
  declaredKind: PackageKind | null;
  limits: XmlLimits;
  /** Keep attachments' base64 in the model (the bus does not need it; a DMS reading mail does). */
  includeAttachmentContent?: boolean;
}

export interface InspectionFacts {
  /** SHA-256 (hex) of the package bytes exactly as received. */
  sha256: string;
  size: number;
}

export type AcceptedInspection =
  | (InspectionFacts & {
      ok: true;
      kind: 'edoc';
      model: EdocPackage;
      signature: InspectedSignature;
      /** Signatures found in signed PDF attachments (raw or zipped). */
      pdfSignatures: PdfSignatureFinding[];
      warnings: string[];
    })
  | (InspectionFacts & {
      ok: true;
      kind: 'status';
      model: StatusPackage;
      signature: InspectedSignature;
      warnings: string[];
    });

export interface RefusedInspection extends InspectionFacts {
  ok: false;
  refusal: Refusal;
  kind: PackageKind | null;
  /** `From/OrganId` when the package got far enough to be read; for the quarantine record only. */
  claimedSender: string | null;
  documentId: string | null;
}

export type InspectionResult = AcceptedInspection | RefusedInspection;

/**
 * Port: runs the CPU-bound checks on a package (prescan, parse, schema, signature and certificate
 * path, model) off the event loop.
 * Implemented by a worker-thread pool (adapters/workers).
 */
export abstract class PackageInspection {
  abstract inspect(request: InspectionRequest): Promise<InspectionResult>;
}
