import type {
  Attachment,
  Business,
  ManifestReference,
  MessageHeader,
  Organization,
  StaffInfo,
  TraceHeader,
  UnknownElement,
} from '../domain/edoc-package';
import { EDXML_NS } from '../../xml/namespaces';
import { XmlLines } from './xml-writer';

export interface AttachmentDraft extends Pick<
  Attachment,
  'contentId' | 'attachmentName' | 'description' | 'contentType'
> {
  /** The file: raw bytes, or base64 text as carried. */
  content: Uint8Array | { base64: string };
}

/** What a producer gives the writer: the model without what the bus computes (sizes, digests). */
export interface EdocDraft {
  header: MessageHeader;
  traces: TraceHeader[];
  business?: Business;
  /** Defaults to one entry per attachment. */
  manifest?: ManifestReference[];
  attachments: AttachmentDraft[];
  extras?: UnknownElement[];
}

const P = 'edXML';

/**
 * Writes a document package in the shape of the official SDK samples: default namespace on the
 * root, the `edXML:` prefix inside the envelope, unprefixed `AttachmentEncoded` outside it with
 * `edXML:ContentTransferEncoded` redeclaring the prefix, CRLF line ends, `cid:` content ids.
 * Unknown elements read from a package go back where they were found.
 */
export function writeEdocPackage(draft: EdocDraft): string {
  const extras = groupExtras(draft.extras);
  const h = draft.header;
  const w = new XmlLines(P);
  w.raw('<?xml version="1.0" encoding="UTF-8"?>');
  w.withPrefix('', (r) => r.open('edXML', ` xmlns="${EDXML_NS}"`));
  w.open('edXMLEnvelope', ` xmlns:${P}="${EDXML_NS}"`);
  w.open('edXMLHeader');
  w.open('MessageHeader');
  writeOrganization(w, 'From', h.from, extras);
  for (const to of h.to) writeOrganization(w, 'To', to, extras);
  w.field('DocumentId', h.documentId);
  if (h.code)
    w.open('Code')
      .field('CodeNumber', h.code.codeNumber)
      .field('CodeNotation', h.code.codeNotation)
      .close('Code');
  if (h.promulgationInfo) {
    w.open('PromulgationInfo')
      .field('Place', h.promulgationInfo.place)
      .field('PromulgationDate', h.promulgationInfo.promulgationDate)
      .close('PromulgationInfo');
  }
  if (h.documentType) {
    w.open('DocumentType')
      .field('Type', h.documentType.type)
      .field('TypeDetail', h.documentType.typeDetail)
      .field('TypeName', h.documentType.typeName)
      .close('DocumentType');
  }
  w.field('Subject', h.subject).field('Content', h.content);
  if (h.signerInfo) {
    w.open('SignerInfo')
      .field('Competence', h.signerInfo.competence)
      .field('Position', h.signerInfo.position)
      .field('FullName', h.signerInfo.fullName)
      .close('SignerInfo');
  }
  w.field('DueDate', h.dueDate);
  if (h.toPlaces.length > 0) {
    w.open('ToPlaces');
    for (const place of h.toPlaces) w.field('Place', place);
    w.close('ToPlaces');
  }
  if (h.otherInfo) {
    const o = h.otherInfo;
    w.open('OtherInfo')
      .field('Priority', o.priority)
      .field('SphereOfPromulgation', o.sphereOfPromulgation)
      .field('TyperNotation', o.typerNotation)
      .field('PromulgationAmount', o.promulgationAmount)
      .field('PageAmount', o.pageAmount)
      .field('Direction', o.direction);
    if (o.appendixes.length > 0) {
      w.open('Appendixes');
      for (const a of o.appendixes) w.field('Appendix', a);
      w.close('Appendixes');
    }
    writeExtras(w, extras, 'OtherInfo');
    w.close('OtherInfo');
  }
  for (const r of h.responseFor) {
    w.open('ResponseFor')
      .field('OrganId', r.organId)
      .field('Code', r.code)
      .field('PromulgationDate', r.promulgationDate)
      .field('DocumentId', r.documentId)
      .close('ResponseFor');
  }
  w.field('SteeringType', h.steeringType);
  writeExtras(w, extras, 'MessageHeader');
  w.close('MessageHeader');

  if (draft.traces.length > 0 || draft.business || extras.has('TraceHeaderList')) {
    w.open('TraceHeaderList');
    for (const t of draft.traces)
      w.open('TraceHeader').field('OrganId', t.organId).field('Timestamp', t.timestamp).close('TraceHeader');
    if (draft.business) writeBusiness(w, draft.business);
    writeExtras(w, extras, 'TraceHeaderList');
    w.close('TraceHeaderList');
  }
  w.close('edXMLHeader');

  const manifest =
    draft.manifest ??
    draft.attachments.map(({ contentId, contentType, description, attachmentName }) => ({
      contentId,
      contentType,
      description,
      attachmentName,
    }));
  w.open('edXMLBody');
  w.open('edXMLManifest', ' version="1.0"');
  for (const m of manifest) {
    w.open('Reference')
      .field('ContentId', `cid:${m.contentId}`)
      .field('ContentType', m.contentType)
      .field('Description', m.description)
      .field('AttachmentName', m.attachmentName)
      .close('Reference');
  }
  w.close('edXMLManifest');
  w.close('edXMLBody');
  w.close('edXMLEnvelope');

  if (draft.attachments.length > 0) {
    w.withPrefix('', (r) => {
      r.open('AttachmentEncoded');
      for (const a of draft.attachments) {
        const base64 = 'base64' in a.content ? a.content.base64 : Buffer.from(a.content).toString('base64');
        r.open('Attachment')
          .field('ContentId', `cid:${a.contentId}`)
          .field('AttachmentName', a.attachmentName)
          .field('Description', a.description)
          .field('ContentType', a.contentType)
          .raw(
            `<${P}:ContentTransferEncoded xmlns:${P}="${EDXML_NS}">${base64}</${P}:ContentTransferEncoded>`,
          )
          .close('Attachment');
      }
      r.close('AttachmentEncoded');
    });
  }
  writeExtras(w, extras, 'edXML');
  w.withPrefix('', (r) => r.raw('</edXML>'));
  return w.toString();
}

function writeOrganization(
  w: XmlLines,
  name: string,
  org: Organization,
  extras: Map<string, string[]>,
): void {
  w.open(name)
    .field('OrganId', org.organId)
    .field('OrganizationInCharge', org.organizationInCharge)
    .field('OrganName', org.organName)
    .field('OrganAdd', org.organAdd)
    .field('Email', org.email)
    .field('Telephone', org.telephone)
    .field('Fax', org.fax)
    .field('Website', org.website);
  if (name === 'From') writeExtras(w, extras, 'From');
  w.close(name);
}

export function writeStaffInfo(w: XmlLines, staff: StaffInfo): void {
  w.open('StaffInfo')
    .field('Department', staff.department)
    .field('Staff', staff.staff)
    .field('Email', staff.email)
    .field('Mobile', staff.mobile)
    .close('StaffInfo');
}

function writeBusiness(w: XmlLines, b: Business): void {
  w.open('Bussiness')
    .field('DocumentId', b.documentId)
    .field('BussinessDocType', b.businessDocType)
    .field('BussinessDocReason', b.businessDocReason)
    .field('Paper', b.paper);
  if (b.staffInfo) writeStaffInfo(w, b.staffInfo);
  if (b.documentInfo !== undefined || b.documentReceiver !== undefined || b.receivers.length > 0) {
    w.open('BussinessDocumentInfo')
      .field('DocumentInfo', b.documentInfo)
      .field('DocumentReceiver', b.documentReceiver);
    if (b.receivers.length > 0) {
      w.open('ReceiverList');
      for (const r of b.receivers)
        w.open('Receiver')
          .field('OrganId', r.organId)
          .field('ReceiverType', r.receiverType)
          .close('Receiver');
      w.close('ReceiverList');
    }
    w.close('BussinessDocumentInfo');
  }
  if (b.replacements.length > 0) {
    w.open('ReplacementInfoList');
    for (const r of b.replacements) {
      w.open('ReplacementInfo').field('DocumentId', r.documentId).open('OrganIdList');
      for (const id of r.organIds) w.field('OrganId', id);
      w.close('OrganIdList').close('ReplacementInfo');
    }
    w.close('ReplacementInfoList');
  }
  w.close('Bussiness');
}

function groupExtras(extras: UnknownElement[] | undefined): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const e of extras ?? []) map.set(e.parent, [...(map.get(e.parent) ?? []), e.xml]);
  return map;
}

function writeExtras(w: XmlLines, extras: Map<string, string[]>, parent: string): void {
  for (const xml of extras.get(parent) ?? []) w.raw(xml);
}
