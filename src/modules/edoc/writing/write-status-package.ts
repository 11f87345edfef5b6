import type { Organization, ResponseFor, StaffInfo } from '../domain/edoc-package';
import { EDXML_NS } from '../../xml/namespaces';
import { writeStaffInfo } from './write-edoc-package';
import { XmlLines } from './xml-writer';

export interface StatusDraft {
  from: Organization;
  responseFor: ResponseFor;
  staffInfo?: StaffInfo;
  statusCode: string;
  description?: string;
  /** `yyyy/MM/dd HH:mm:ss`, Vietnam time; see formatEdxmlTimestamp. */
  timestamp?: string;
}

const P = 'edXML';

/** Writes a status package in the shape of the official samples (`status_*.edxml`). */
export function writeStatusPackage(draft: StatusDraft): string {
  const w = new XmlLines(P);
  w.raw('<?xml version="1.0" encoding="UTF-8"?>');
  w.withPrefix('', (r) => r.open('edXML', ` xmlns="${EDXML_NS}"`));
  w.open('edXMLEnvelope', ` xmlns:${P}="${EDXML_NS}"`).open('edXMLHeader').open('MessageHeader');
  const f = draft.from;
  w.open('From')
    .field('OrganId', f.organId)
    .field('OrganName', f.organName)
    .field('OrganizationInCharge', f.organizationInCharge)
    .field('OrganAdd', f.organAdd)
    .field('Email', f.email)
    .field('Telephone', f.telephone)
    .field('Fax', f.fax)
    .field('Website', f.website)
    .close('From');
  const r = draft.responseFor;
  w.open('ResponseFor')
    .field('OrganId', r.organId)
    .field('Code', r.code)
    .field('PromulgationDate', r.promulgationDate)
    .field('DocumentId', r.documentId)
    .close('ResponseFor');
  if (draft.staffInfo) writeStaffInfo(w, draft.staffInfo);
  w.field('StatusCode', draft.statusCode)
    .field('Description', draft.description)
    .field('Timestamp', draft.timestamp);
  w.close('MessageHeader').close('edXMLHeader').close('edXMLEnvelope');
  w.withPrefix('', (x) => x.raw('</edXML>'));
  return w.toString();
}

/** `yyyy/MM/dd HH:mm:ss` in Vietnam time (UTC+7, no daylight saving), as edXML timestamps are written. */
export function formatEdxmlTimestamp(at: Date): string {
  const t = new Date(at.getTime() + 7 * 3600_000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${t.getUTCFullYear()}/${p(t.getUTCMonth() + 1)}/${p(t.getUTCDate())} ${p(t.getUTCHours())}:${p(t.getUTCMinutes())}:${p(t.getUTCSeconds())}`;
}

export function formatEdxmlDate(at: Date): string {
  return formatEdxmlTimestamp(at).slice(0, 10);
}
