import { createHash } from 'node:crypto';
import type {
  Attachment,
  Business,
  BusinessDocType,
  EdocPackage,
  ManifestReference,
  MessageHeader,
  OtherInfo,
  TraceHeader,
  UnknownElement,
} from '../domain/edoc-package';
import type { DetachedText } from '../../xml/detached-texts';
import type { Dom } from '../xml/dom';
import type { XmlElement } from '../../xml/libxml2';
import { organCodeForm } from '../../registry/domain/organ-code';
import { countChildren, locateHeader, readOrganization, readResponseFor, readStaffInfo } from './read-common';
import type { ReadResult } from './read-result';

const SINGLE_IN_MESSAGE_HEADER = ['From', 'DocumentId', 'Code', 'Subject', 'OtherInfo', 'SteeringType'];

/**
 * Builds the typed model of a document package from a schema-valid tree. Reads by name in any
 * order; keeps unknown elements; reports what QCVN 102 requires exactly once but is missing or
 * repeated (the schema allows any order, so it cannot count).
 */
export function readEdocPackage(
  dom: Dom,
  root: XmlElement,
  options: { includeAttachmentContent?: boolean } = {},
): ReadResult<EdocPackage> | string {
  const located = locateHeader(dom, root);
  if (typeof located === 'string') return located;
  const { envelope, header, messageHeader } = located;
  const problems: string[] = [];
  const warnings: string[] = [];
  const extras: UnknownElement[] = [];

  for (const name of SINGLE_IN_MESSAGE_HEADER) {
    const n = countChildren(dom, messageHeader, name);
    if (n > 1) problems.push(`MessageHeader has ${n} ${name} elements; exactly one is allowed`);
  }
  for (const name of ['MessageHeader', 'TraceHeaderList']) {
    const n = countChildren(dom, header, name);
    if (n > 1) problems.push(`edXMLHeader has ${n} ${name} elements; at most one is allowed`);
  }

  const msg = readMessageHeader(dom, messageHeader, extras);
  if (!msg.from.organId) problems.push('MessageHeader/From/OrganId is missing or empty');
  if (msg.to.length === 0) problems.push('MessageHeader has no To: a document needs at least one recipient');
  msg.to.forEach((to, i) => {
    if (!to.organId) problems.push(`MessageHeader/To[${i + 1}]/OrganId is missing or empty`);
  });
  if (!msg.documentId) problems.push('MessageHeader/DocumentId is missing or empty');
  const legacyCodes = new Set(
    [msg.from, ...msg.to].map((o) => o.organId).filter((c) => c && organCodeForm(c) === 'legacy'),
  );
  for (const code of legacyCodes) {
    warnings.push(`organ code "${code}" is in neither the QCVN 102 nor the Decision 20/2020 form`);
  }

  const traceList = dom.child(header, 'TraceHeaderList');
  const { traces, business } = traceList
    ? readTraceHeaderList(dom, traceList, extras)
    : { traces: [], business: undefined };
  if (traceList && countChildren(dom, traceList, 'Business') > 1) {
    problems.push('TraceHeaderList has more than one Bussiness element');
  }

  const manifest: ManifestReference[] = [];
  const body = dom.child(envelope, 'edXMLBody');
  const manifestEl = body ? dom.child(body, 'edXMLManifest') : undefined;
  if (manifestEl) {
    for (const ref of dom.children(manifestEl)) {
      manifest.push({
        contentId: contentId(dom.text(dom.child(ref, 'ContentId'))),
        contentType: dom.text(dom.child(ref, 'ContentType')),
        description: dom.text(dom.child(ref, 'Description')),
        attachmentName: dom.text(dom.child(ref, 'AttachmentName')),
      });
    }
  }

  const attachments: Attachment[] = [];
  const encoded = dom.child(root, 'AttachmentEncoded');
  if (encoded) {
    for (const att of dom.children(encoded))
      attachments.push(readAttachment(dom, att, options.includeAttachmentContent === true));
  }
  crossCheckAttachments(manifest, attachments, warnings);

  for (const c of dom.children(root)) {
    const n = dom.name(c);
    if (!(dom.isEdxml(c) && (n === 'edXMLEnvelope' || n === 'AttachmentEncoded')))
      extras.push(dom.unknown(c, 'edXML'));
  }

  return {
    model: {
      kind: 'edoc',
      header: msg,
      traces,
      business,
      manifest,
      attachments,
      extras,
    },
    problems,
    warnings,
  };
}

function readMessageHeader(dom: Dom, el: XmlElement, extras: UnknownElement[]): MessageHeader {
  const header: MessageHeader = {
    from: { organId: '' },
    to: [],
    documentId: '',
    toPlaces: [],
    responseFor: [],
  };
  for (const c of dom.children(el)) {
    if (!dom.isEdxml(c)) {
      extras.push(dom.unknown(c, 'MessageHeader'));
      continue;
    }
    switch (dom.name(c)) {
      case 'From':
        header.from = readOrganization(dom, c, extras, 'From');
        break;
      case 'To':
        header.to.push(readOrganization(dom, c, extras, 'To'));
        break;
      case 'DocumentId':
        header.documentId = dom.text(c) ?? '';
        break;
      case 'Code':
        header.code = {
          codeNumber: dom.text(dom.child(c, 'CodeNumber')),
          codeNotation: dom.text(dom.child(c, 'CodeNotation')),
        };
        break;
      case 'PromulgationInfo':
        header.promulgationInfo = {
          place: dom.text(dom.child(c, 'Place')),
          promulgationDate: dom.text(dom.child(c, 'PromulgationDate')),
        };
        break;
      case 'DocumentType':
        header.documentType = {
          type: dom.text(dom.child(c, 'Type')),
          typeDetail: dom.text(dom.child(c, 'TypeDetail')),
          typeName: dom.text(dom.child(c, 'TypeName')),
        };
        break;
      case 'Subject':
        header.subject = dom.text(c);
        break;
      case 'Content':
        header.content = dom.text(c);
        break;
      case 'SignerInfo':
        header.signerInfo = {
          competence: dom.text(dom.child(c, 'Competence')),
          position: dom.text(dom.child(c, 'Position')),
          fullName: dom.text(dom.child(c, 'FullName')),
        };
        break;
      case 'DueDate':
        header.dueDate = dom.text(c);
        break;
      case 'ToPlaces':
        header.toPlaces = dom.children(c).map((p) => dom.text(p) ?? '');
        break;
      case 'OtherInfo':
        header.otherInfo = readOtherInfo(dom, c, extras);
        break;
      case 'ResponseFor':
        header.responseFor.push(readResponseFor(dom, c));
        break;
      case 'SteeringType':
        header.steeringType = dom.text(c);
        break;
      default:
        extras.push(dom.unknown(c, 'MessageHeader'));
    }
  }
  return header;
}

function readOtherInfo(dom: Dom, el: XmlElement, extras: UnknownElement[]): OtherInfo {
  const info: OtherInfo = { appendixes: [] };
  for (const c of dom.children(el)) {
    const value = dom.text(c);
    switch (dom.isEdxml(c) ? dom.name(c) : '') {
      case 'Priority':
        info.priority = value === undefined || value === '' ? undefined : Number(value);
        break;
      case 'SphereOfPromulgation':
        info.sphereOfPromulgation = value;
        break;
      case 'TyperNotation':
        info.typerNotation = value;
        break;
      case 'PromulgationAmount':
        info.promulgationAmount = value;
        break;
      case 'PageAmount':
        info.pageAmount = value;
        break;
      case 'Direction':
        info.direction = value;
        break;
      case 'Appendixes':
        info.appendixes = dom.children(c).map((a) => dom.text(a) ?? '');
        break;
      default:
        extras.push(dom.unknown(c, 'OtherInfo'));
    }
  }
  return info;
}

function readTraceHeaderList(
  dom: Dom,
  el: XmlElement,
  extras: UnknownElement[],
): { traces: TraceHeader[]; business: Business | undefined } {
  const traces: TraceHeader[] = [];
  let business: Business | undefined;
  for (const c of dom.children(el)) {
    const name = dom.isEdxml(c) ? dom.name(c) : '';
    if (name === 'TraceHeader') {
      traces.push({
        organId: dom.text(dom.child(c, 'OrganId')),
        timestamp: dom.text(dom.child(c, 'Timestamp')),
      });
    } else if (name === 'Business') {
      business ??= readBusiness(dom, c);
    } else {
      extras.push(dom.unknown(c, 'TraceHeaderList'));
    }
  }
  return { traces, business };
}

function readBusiness(dom: Dom, el: XmlElement): Business {
  const type = Number(dom.text(dom.child(el, 'BusinessDocType')) ?? '0');
  const info = dom.child(el, 'BusinessDocumentInfo');
  const receiverList = info ? dom.child(info, 'ReceiverList') : undefined;
  const replacementList = dom.child(el, 'ReplacementInfoList');
  const staff = dom.child(el, 'StaffInfo');
  return {
    documentId: dom.text(dom.child(el, 'DocumentId')),
    businessDocType: ([0, 1, 2, 3].includes(type) ? type : 0) as BusinessDocType,
    businessDocReason: dom.text(dom.child(el, 'BusinessDocReason')),
    paper: dom.text(dom.child(el, 'Paper')),
    staffInfo: staff ? readStaffInfo(dom, staff) : undefined,
    documentInfo: info ? dom.text(dom.child(info, 'DocumentInfo')) : undefined,
    documentReceiver: info ? dom.text(dom.child(info, 'DocumentReceiver')) : undefined,
    receivers: receiverList
      ? dom.children(receiverList).map((r) => ({
          organId: dom.text(dom.child(r, 'OrganId')),
          receiverType: dom.text(dom.child(r, 'ReceiverType')),
        }))
      : [],
    replacements: replacementList
      ? dom.children(replacementList).map((r) => {
          const list = dom.child(r, 'OrganIdList');
          return {
            documentId: dom.text(dom.child(r, 'DocumentId')),
            organIds: list ? dom.children(list).map((o) => dom.text(o) ?? '') : [],
          };
        })
      : [],
  };
}

function readAttachment(dom: Dom, el: XmlElement, includeContent: boolean): Attachment {
  const encodedEl = dom.child(el, 'ContentTransferEncoded');
  const detached = encodedEl && dom.detached(encodedEl);
  const facts = detached
    ? detachedFacts(detached, includeContent)
    : inlineFacts(encodedEl?.content ?? '', includeContent);
  return {
    ...(facts.base64 !== undefined ? { base64: facts.base64 } : {}),
    contentId: contentId(dom.text(dom.child(el, 'ContentId'))),
    attachmentName: dom.text(dom.child(el, 'AttachmentName')),
    description: dom.text(dom.child(el, 'Description')),
    contentType: dom.text(dom.child(el, 'ContentType')),
    encodedLength: facts.encodedLength,
    size: facts.size,
    sha256: facts.sha256,
  };
}

interface EncodedFacts {
  base64?: string;
  encodedLength: number;
  size: number;
  sha256: string;
}

function inlineFacts(encoded: string, includeContent: boolean): EncodedFacts {
  const bytes = Buffer.from(encoded, 'base64');
  return {
    ...(includeContent ? { base64: encoded.replace(/\s+/g, '') } : {}),
    encodedLength: encoded.length,
    size: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
  };
}

/** A large attachment kept out of the DOM: decoded and hashed in pieces, never whole. */
function detachedFacts(text: DetachedText, includeContent: boolean): EncodedFacts {
  const hash = createHash('sha256');
  let size = 0;
  for (const piece of text.decodedPieces()) {
    hash.update(piece);
    size += piece.length;
  }
  return {
    ...(includeContent ? { base64: text.compactBase64() } : {}),
    encodedLength: text.length,
    size,
    sha256: hash.digest('hex'),
  };
}

/** `cid:abc`, `<abc>` and `abc` all name the same part. */
export function contentId(raw: string | undefined): string {
  return (raw ?? '')
    .replace(/^cid:/i, '')
    .replace(/^<(.*)>$/, '$1')
    .trim();
}

function crossCheckAttachments(
  manifest: ManifestReference[],
  attachments: Attachment[],
  warnings: string[],
): void {
  const listed = new Set(manifest.map((m) => m.contentId));
  const carried = new Set(attachments.map((a) => a.contentId));
  for (const a of attachments) {
    if (!listed.has(a.contentId)) warnings.push(`attachment "${a.contentId}" is not listed in edXMLManifest`);
  }
  for (const m of manifest) {
    if (!carried.has(m.contentId)) warnings.push(`manifest entry "${m.contentId}" has no attachment`);
  }
}
