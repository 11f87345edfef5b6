import type { UnknownElement } from '../domain/edoc-package';
import type { StatusPackage } from '../domain/status-package';
import type { Dom } from '../xml/dom';
import type { XmlElement } from '../../xml/libxml2';
import { countChildren, locateHeader, readOrganization, readResponseFor, readStaffInfo } from './read-common';
import type { ReadResult } from './read-result';

const SINGLE = ['From', 'ResponseFor', 'StatusCode', 'Description', 'Timestamp', 'StaffInfo'];

/** Builds the model of a status package (01…06, 13, 15, 16) from a schema-valid tree. */
export function readStatusPackage(dom: Dom, root: XmlElement): ReadResult<StatusPackage> | string {
  const located = locateHeader(dom, root);
  if (typeof located === 'string') return located;
  const { messageHeader } = located;
  const problems: string[] = [];
  const extras: UnknownElement[] = [];

  for (const name of SINGLE) {
    const n = countChildren(dom, messageHeader, name);
    if (n > 1) problems.push(`MessageHeader has ${n} ${name} elements; at most one is allowed`);
  }
  const fromEl = dom.child(messageHeader, 'From');
  const responseEl = dom.child(messageHeader, 'ResponseFor');
  const staffEl = dom.child(messageHeader, 'StaffInfo');
  const model: StatusPackage = {
    kind: 'status',
    from: fromEl ? readOrganization(dom, fromEl, extras, 'From') : { organId: '' },
    responseFor: responseEl ? readResponseFor(dom, responseEl) : {},
    staffInfo: staffEl ? readStaffInfo(dom, staffEl) : undefined,
    statusCode: dom.text(dom.child(messageHeader, 'StatusCode')) ?? '',
    description: dom.text(dom.child(messageHeader, 'Description')),
    timestamp: dom.text(dom.child(messageHeader, 'Timestamp')),
    extras,
  };
  for (const c of dom.children(messageHeader)) {
    const known = ['From', 'ResponseFor', 'StaffInfo', 'StatusCode', 'Description', 'Timestamp'];
    if (!dom.isEdxml(c) || !known.includes(dom.name(c))) extras.push(dom.unknown(c, 'MessageHeader'));
  }

  if (!model.from.organId) problems.push('MessageHeader/From/OrganId is missing or empty');
  if (!responseEl)
    problems.push('MessageHeader/ResponseFor is missing: a status must name the document it is about');
  else {
    if (!model.responseFor.documentId)
      problems.push('MessageHeader/ResponseFor/DocumentId is missing or empty');
    if (!model.responseFor.organId) problems.push('MessageHeader/ResponseFor/OrganId is missing or empty');
  }
  // A code outside the list is refused by the use case with its own reason (STATUS_CODE_UNKNOWN).
  if (!model.statusCode) problems.push('MessageHeader/StatusCode is missing');
  return { model, problems, warnings: [] };
}
