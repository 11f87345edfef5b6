import { createHash, type Hash } from 'node:crypto';
import { DetachedTexts } from '../../xml/detached-texts';
import type { Libxml2, XmlDocument, XmlElement } from '../../xml/libxml2';
import type { C14nMethod, HashName } from './algorithms';

export interface C14nOptions extends Pick<C14nMethod, 'mode' | 'withComments'> {
  inclusivePrefixes?: string[];
}

/** Streams the canonical form of a whole document into a hash (no copy of the output is kept). */
export function digestDocument(
  doc: XmlDocument,
  hash: HashName,
  c14n: C14nOptions,
  detached: DetachedTexts = DetachedTexts.NONE,
): Buffer {
  const h: Hash = createHash(hash);
  // Attachments parsed as tokens are hashed as their real text (see detached-texts.ts).
  const sink = detached.hashSink(h);
  doc.canonicalize(
    {
      write: (chunk: Uint8Array) => {
        sink.write(chunk);
        return chunk.length;
      },
      close: () => true,
    },
    { mode: c14n.mode, withComments: c14n.withComments, inclusiveNamespacePrefixes: c14n.inclusivePrefixes },
  );
  sink.end();
  return h.digest();
}

/**
 * The canonical form of one element, as C14N defines it for a document subset: in-scope namespace
 * declarations of its ancestors are part of the context. libxml2 can canonicalize a subtree in
 * place, but only by calling back into JavaScript for every node of the whole document; for a
 * SignedInfo of a few hundred bytes in a 20 KB package that costs more than the rest of the
 * check. So the element is serialised on its own, with every namespace in scope declared on it,
 * re-parsed and canonicalized as a document — the same node set, the same output (the differential
 * tests against xmlsec1 and xml-crypto hold this to account).
 */
export function canonicalizeElement(
  lx: typeof Libxml2,
  element: XmlElement,
  c14n: C14nOptions,
  parseOptions: number,
): Buffer {
  const xml = element.toString({ format: false });
  const standalone = lx.XmlDocument.fromString(declareInScopeNamespaces(xml, element.namespaces), {
    option: parseOptions,
  });
  try {
    return Buffer.from(
      standalone.canonicalizeToString({
        mode: c14n.mode,
        withComments: c14n.withComments,
        inclusiveNamespacePrefixes: c14n.inclusivePrefixes,
      }),
      'utf8',
    );
  } finally {
    standalone.dispose();
  }
}

/** Adds `xmlns[:p]="…"` for every in-scope namespace the start tag does not declare itself. */
export function declareInScopeNamespaces(xml: string, inScope: Record<string, string>): string {
  const tagEnd = startTagEnd(xml);
  const startTag = xml.slice(0, tagEnd);
  let extra = '';
  for (const [prefix, uri] of Object.entries(inScope)) {
    if (prefix === 'xml') continue;
    const attr = prefix ? `xmlns:${prefix}` : 'xmlns';
    if (new RegExp(`\\s${attr.replace(':', '\\:')}\\s*=`).test(startTag)) continue;
    extra += ` ${attr}="${uri.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;')}"`;
  }
  return xml.slice(0, tagEnd) + extra + xml.slice(tagEnd);
}

/** Index of the `>` (or `/>`) closing the first start tag, honouring quoted attribute values. */
function startTagEnd(xml: string): number {
  let quote = '';
  for (let i = 1; i < xml.length; i++) {
    const c = xml[i]!;
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '>') return xml[i - 1] === '/' ? i - 1 : i;
  }
  return xml.length;
}
