/**
 * The typed model of an edXML document package (QCVN 102:2016), as the lenient reader builds it.
 * Optional everywhere the field data shows producers leaving things out; unknown elements are kept
 * verbatim in `extras` so the canonical writer can put them back.
 */

/** An element the model does not know, serialised as found. */
export interface UnknownElement {
  /** Where it was found, e.g. `MessageHeader`. */
  parent: string;
  xml: string;
}

export interface Organization {
  organId: string;
  organizationInCharge?: string;
  organName?: string;
  organAdd?: string;
  email?: string;
  telephone?: string;
  fax?: string;
  website?: string;
}

export interface DocumentCode {
  codeNumber?: string;
  codeNotation?: string;
}

export interface PromulgationInfo {
  place?: string;
  promulgationDate?: string;
}

export interface DocumentType {
  type?: string;
  typeDetail?: string;
  typeName?: string;
}

export interface SignerInfo {
  competence?: string;
  position?: string;
  fullName?: string;
}

export interface OtherInfo {
  priority?: number;
  sphereOfPromulgation?: string;
  typerNotation?: string;
  promulgationAmount?: string;
  pageAmount?: string;
  direction?: string;
  appendixes: string[];
}

export interface ResponseFor {
  organId?: string;
  code?: string;
  promulgationDate?: string;
  documentId?: string;
}

export interface MessageHeader {
  from: Organization;
  to: Organization[];
  documentId: string;
  code?: DocumentCode;
  promulgationInfo?: PromulgationInfo;
  documentType?: DocumentType;
  subject?: string;
  content?: string;
  signerInfo?: SignerInfo;
  dueDate?: string;
  toPlaces: string[];
  otherInfo?: OtherInfo;
  responseFor: ResponseFor[];
  steeringType?: string;
}

export interface TraceHeader {
  organId?: string;
  timestamp?: string;
}

export interface StaffInfo {
  department?: string;
  staff?: string;
  email?: string;
  mobile?: string;
}

export interface Receiver {
  organId?: string;
  receiverType?: string;
}

export interface ReplacementInfo {
  documentId?: string;
  organIds: string[];
}

/** 0 new, 1 recall ("Thu hồi"), 2 update ("Cập nhật"), 3 replacement ("Thay thế"). */
export type BusinessDocType = 0 | 1 | 2 | 3;

export interface Business {
  documentId?: string;
  businessDocType: BusinessDocType;
  businessDocReason?: string;
  paper?: string;
  staffInfo?: StaffInfo;
  documentInfo?: string;
  documentReceiver?: string;
  receivers: Receiver[];
  replacements: ReplacementInfo[];
}

export interface ManifestReference {
  contentId: string;
  contentType?: string;
  description?: string;
  attachmentName?: string;
}

export interface Attachment {
  /** Without the `cid:` prefix, which producers use inconsistently. */
  contentId: string;
  attachmentName?: string;
  description?: string;
  contentType?: string;
  /** Length of the base64 text as carried. */
  encodedLength: number;
  /** Decoded size and SHA-256 of the attached file: what the bus records of it. */
  size: number;
  sha256: string;
  /** The file itself, base64, only when the reader was asked for it (a DMS reading its mail). */
  base64?: string;
}

export interface EdocPackage {
  kind: 'edoc';
  header: MessageHeader;
  traces: TraceHeader[];
  business?: Business;
  manifest: ManifestReference[];
  attachments: Attachment[];
  extras: UnknownElement[];
}
