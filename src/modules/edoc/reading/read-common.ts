import type { Organization, ResponseFor, StaffInfo, UnknownElement } from '../domain/edoc-package';
import type { Dom } from '../xml/dom';
import type { XmlElement } from '../../xml/libxml2';

export function readOrganization(
  dom: Dom,
  el: XmlElement,
  extras: UnknownElement[],
  where: string,
): Organization {
  const org: Organization = { organId: '' };
  for (const c of dom.children(el)) {
    if (!dom.isEdxml(c)) {
      extras.push(dom.unknown(c, where));
      continue;
    }
    const value = dom.text(c);
    switch (dom.name(c)) {
      case 'OrganId':
        org.organId = value ?? '';
        break;
      case 'OrganizationInCharge':
        org.organizationInCharge = value;
        break;
      case 'OrganName':
        org.organName = value;
        break;
      case 'OrganAdd':
        org.organAdd = value;
        break;
      case 'Email':
        org.email = value;
        break;
      case 'Telephone':
        org.telephone = value;
        break;
      case 'Fax':
        org.fax = value;
        break;
      case 'Website':
        org.website = value;
        break;
      default:
        extras.push(dom.unknown(c, where));
    }
  }
  return org;
}

export function readStaffInfo(dom: Dom, el: XmlElement): StaffInfo {
  return {
    department: dom.text(dom.child(el, 'Department')),
    staff: dom.text(dom.child(el, 'Staff')),
    email: dom.text(dom.child(el, 'Email')),
    mobile: dom.text(dom.child(el, 'Mobile')),
  };
}

export function readResponseFor(dom: Dom, el: XmlElement): ResponseFor {
  return {
    organId: dom.text(dom.child(el, 'OrganId')),
    code: dom.text(dom.child(el, 'Code')),
    promulgationDate: dom.text(dom.child(el, 'PromulgationDate')),
    documentId: dom.text(dom.child(el, 'DocumentId')),
  };
}

/** Walks edXML → edXMLEnvelope → edXMLHeader, reporting what is missing. */
export function locateHeader(
  dom: Dom,
  root: XmlElement,
): { envelope: XmlElement; header: XmlElement; messageHeader: XmlElement } | string {
  const envelope = dom.child(root, 'edXMLEnvelope');
  if (!envelope) return 'no edXMLEnvelope under edXML';
  const header = dom.child(envelope, 'edXMLHeader');
  if (!header) return 'no edXMLHeader in edXMLEnvelope';
  const messageHeader = dom.child(header, 'MessageHeader');
  if (!messageHeader) return 'no MessageHeader in edXMLHeader';
  return { envelope, header, messageHeader };
}

export function countChildren(dom: Dom, el: XmlElement, name: string): number {
  return dom.children(el).filter((c) => dom.isEdxml(c) && dom.name(c) === name).length;
}
