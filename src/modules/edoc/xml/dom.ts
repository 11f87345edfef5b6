import { EDXML_NS } from '../../xml/namespaces';
import type { UnknownElement } from '../domain/edoc-package';
import { DetachedTexts, type DetachedText } from '../../xml/detached-texts';
import type { Libxml2, XmlElement } from '../../xml/libxml2';

/**
 * Lenient element access over a parsed libxml2 tree. Matching is by namespace URI and local name,
 * never by prefix (producers use `edXML:`, other prefixes or the default namespace for the same
 * URI), and the misspelling "Bussiness" is read as "Business" wherever it starts a name.
 */
export class Dom {
  constructor(
    private readonly lx: typeof Libxml2,
    /** Large attachment texts parsed as tokens (see detached-texts.ts): read back transparently. */
    private readonly detachedTexts: DetachedTexts = DetachedTexts.NONE,
  ) {}

  /** The same reader over a document parsed with these texts detached. */
  withDetached(detachedTexts: DetachedTexts): Dom {
    return detachedTexts.size === 0 ? this : new Dom(this.lx, detachedTexts);
  }

  /** The element's text when it was kept out of the DOM, read from the received bytes on demand. */
  detached(el: XmlElement): DetachedText | undefined {
    return this.detachedTexts.lookup(el.content);
  }

  children(parent: XmlElement): XmlElement[] {
    const out: XmlElement[] = [];
    for (let n = parent.firstChild; n; n = n.next) {
      if (n instanceof this.lx.XmlElement) out.push(n);
    }
    return out;
  }

  /** The local name with the field spelling normalised (`BussinessDocType` → `BusinessDocType`). */
  name(el: XmlElement): string {
    return normaliseName(el.name);
  }

  /** Elements in the edXML namespace, or in none (seen in hand-built packages). */
  isEdxml(el: XmlElement): boolean {
    const ns = el.namespaceUri;
    return ns === EDXML_NS || ns === '';
  }

  /** The first edXML child with this (normalised) name. */
  child(parent: XmlElement, name: string): XmlElement | undefined {
    for (let n = parent.firstChild; n; n = n.next) {
      if (n instanceof this.lx.XmlElement && this.isEdxml(n) && this.name(n) === name) return n;
    }
    return undefined;
  }

  /** Trimmed text content; `undefined` for an absent element. */
  text(el: XmlElement | undefined): string | undefined {
    if (el === undefined) return undefined;
    const content = el.content;
    return (this.detachedTexts.lookup(content)?.text() ?? content).trim();
  }

  unknown(el: XmlElement, parent: string): UnknownElement {
    return { parent, xml: this.detachedTexts.restore(serialiseWithNamespace(el)) };
  }
}

export function normaliseName(local: string): string {
  return local.startsWith('Bussiness') ? `Business${local.slice('Bussiness'.length)}` : local;
}

/**
 * An element's XML as a self-contained fragment: libxml2 does not repeat namespace declarations
 * made on ancestors, so the element's own namespace is declared on it when missing.
 */
function serialiseWithNamespace(el: XmlElement): string {
  const xml = el.toString({ format: false });
  const uri = el.namespaceUri;
  if (!uri) return xml;
  const attr = el.prefix ? `xmlns:${el.prefix}` : 'xmlns';
  const tagEnd = xml.search(/\/?>/);
  if (tagEnd < 0 || xml.slice(0, tagEnd).includes(`${attr}=`)) return xml;
  return `${xml.slice(0, tagEnd)} ${attr}="${escapeAttribute(uri)}"${xml.slice(tagEnd)}`;
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}
