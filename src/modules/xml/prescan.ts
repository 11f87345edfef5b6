import { bufferView } from '../shared/bytes';
import { refusal, type Refusal } from '../shared/reasons';

export interface XmlLimits {
  maxBytes: number;
  maxDepth: number;
  maxElements: number;
  maxAttributesPerElement: number;
}

export const DEFAULT_XML_LIMITS: XmlLimits = {
  maxBytes: 50 * 1024 * 1024,
  maxDepth: 64,
  maxElements: 100_000,
  maxAttributesPerElement: 64,
};

export interface PrescanStats {
  elements: number;
  maxDepth: number;
  /**
   * Byte ranges of attachment texts (`ContentTransferEncoded` holding only text) of at least
   * `largeTextBytes`: candidates to keep out of the DOM (see detached-texts.ts).
   */
  largeTexts: TextRange[];
}

export interface TextRange {
  start: number;
  end: number;
}

/** Attachment texts from this size on are worth keeping out of the parser's memory. */
export const LARGE_TEXT_BYTES = 512 * 1024;

const ATTACHMENT_TEXT_ELEMENT = Buffer.from('ContentTransferEncoded');

const LT = 0x3c; // <
const GT = 0x3e; // >
const BANG = 0x21; // !
const QUESTION = 0x3f; // ?
const SLASH = 0x2f; // /
const DQUOTE = 0x22;
const SQUOTE = 0x27;
const EQUALS = 0x3d;
const DASH = 0x2d;
const LBRACKET = 0x5b;

const COMMENT_END = Buffer.from('-->');
const PI_END = Buffer.from('?>');
const CDATA_OPEN = Buffer.from('<![CDATA[');
const CDATA_END = Buffer.from(']]>');
const UTF8_BOM = [0xef, 0xbb, 0xbf];

/**
 * A byte-level pass that runs before any parser builds a tree: it enforces the size cap, refuses
 * DOCTYPE/ENTITY declarations (the door to XXE and entity-expansion bombs) and bounds nesting depth,
 * element count and attributes per element, so a hostile package costs one linear scan.
 *
 * It is a filter, not a parser: it only has to be right about where markup starts and ends
 * (comments, PIs, CDATA, quoted attribute values). Well-formedness is the real parser's job.
 */
export function prescanXml(
  bytes: Uint8Array,
  limits: XmlLimits,
  largeTextBytes = LARGE_TEXT_BYTES,
): Refusal | PrescanStats {
  if (bytes.length > limits.maxBytes) {
    return refusal('TOO_LARGE', `${bytes.length} bytes > limit ${limits.maxBytes}`);
  }
  const buf = bufferView(bytes);
  const encodingProblem = checkEncoding(buf);
  if (encodingProblem) return refusal('XML_MALFORMED', encodingProblem);

  let depth = 0;
  let deepest = 0;
  let elements = 0;
  const largeTexts: TextRange[] = [];
  // The start tag whose content the next text run is (name offset, content offset), if any.
  let openNameAt = -1;
  let openContentAt = -1;
  let i = buf.indexOf(LT);
  while (i !== -1 && i < buf.length) {
    const next = buf[i + 1];
    if (next === QUESTION) {
      i = skipPast(buf, PI_END, i + 2);
    } else if (next === BANG) {
      if (buf[i + 2] === DASH && buf[i + 3] === DASH) {
        i = skipPast(buf, COMMENT_END, i + 4);
      } else if (buf[i + 2] === LBRACKET && buf.subarray(i, i + CDATA_OPEN.length).equals(CDATA_OPEN)) {
        i = skipPast(buf, CDATA_END, i + CDATA_OPEN.length);
      } else {
        // <!DOCTYPE, <!ENTITY, <!ELEMENT, <!ATTLIST… none belongs in an edXML package.
        const word = buf
          .subarray(i + 2, i + 10)
          .toString('latin1')
          .replace(/[^A-Za-z].*$/, '');
        return refusal('XML_DOCTYPE_FORBIDDEN', `<!${word || '…'} declaration at byte ${i}`);
      }
    } else if (next === SLASH) {
      depth--;
      i = buf.indexOf(GT, i + 2);
      if (i !== -1) i++;
    } else {
      elements++;
      if (elements > limits.maxElements) {
        return refusal('XML_LIMIT_EXCEEDED', `more than ${limits.maxElements} elements`);
      }
      const tag = scanStartTag(buf, i + 1);
      if (tag.attributes > limits.maxAttributesPerElement) {
        return refusal(
          'XML_LIMIT_EXCEEDED',
          `element at byte ${i} has ${tag.attributes} attributes > limit ${limits.maxAttributesPerElement}`,
        );
      }
      if (!tag.selfClosing) {
        depth++;
        if (depth > limits.maxDepth) {
          return refusal('XML_LIMIT_EXCEEDED', `nesting depth > limit ${limits.maxDepth} at byte ${i}`);
        }
        if (depth > deepest) deepest = depth;
        openNameAt = i + 1;
        openContentAt = tag.end;
      }
      i = tag.end;
    }
    if (i === -1) break;
    i = buf.indexOf(LT, i);
    if (openNameAt !== -1) {
      if (i !== -1 && i - openContentAt >= largeTextBytes && isAttachmentText(buf, openNameAt, i)) {
        largeTexts.push({ start: openContentAt, end: i });
      }
      openNameAt = -1;
    }
  }
  return { elements, maxDepth: deepest, largeTexts };
}

/**
 * Whether the text run ending at `next` (a `<`) belongs to a ContentTransferEncoded element (any
 * prefix; name at `nameAt`) and runs straight to an end tag: a single text node, nothing else.
 */
function isAttachmentText(buf: Buffer, nameAt: number, next: number): boolean {
  if (buf[next + 1] !== SLASH) return false;
  let nameEnd = nameAt;
  while (nameEnd < next && !isNameEnd(buf[nameEnd]!)) nameEnd++;
  const localAt = nameEnd - ATTACHMENT_TEXT_ELEMENT.length;
  if (localAt < nameAt || (localAt > nameAt && buf[localAt - 1] !== 0x3a) /* : */) return false;
  return buf.subarray(localAt, nameEnd).equals(ATTACHMENT_TEXT_ELEMENT);
}

function isNameEnd(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === SLASH || c === GT;
}

export function isRefusal(value: Refusal | PrescanStats): value is Refusal {
  return 'code' in value;
}

function skipPast(buf: Buffer, terminator: Buffer, from: number): number {
  const at = buf.indexOf(terminator, from);
  return at === -1 ? -1 : at + terminator.length;
}

/** Scans `<name attr="…" …>` from just after `<`; quotes may contain `>`. */
function scanStartTag(buf: Buffer, from: number): { end: number; attributes: number; selfClosing: boolean } {
  let attributes = 0;
  let quote = 0;
  for (let j = from; j < buf.length; j++) {
    const c = buf[j]!;
    if (quote !== 0) {
      if (c === quote) quote = 0;
    } else if (c === DQUOTE || c === SQUOTE) {
      quote = c;
    } else if (c === EQUALS) {
      attributes++;
    } else if (c === GT) {
      return { end: j + 1, attributes, selfClosing: buf[j - 1] === SLASH };
    }
  }
  return { end: -1, attributes, selfClosing: false };
}

/**
 * The bus speaks UTF-8 only (every real package does). A UTF-16 BOM or an XML declaration naming
 * another encoding is refused here with a clear message rather than as a parser error.
 */
function checkEncoding(buf: Buffer): string | null {
  if ((buf[0] === 0xfe && buf[1] === 0xff) || (buf[0] === 0xff && buf[1] === 0xfe)) {
    return 'UTF-16 is not supported; send UTF-8';
  }
  const start = UTF8_BOM.every((b, k) => buf[k] === b) ? 3 : 0;
  if (buf[start] !== LT || buf[start + 1] !== QUESTION) return null;
  const declEnd = buf.indexOf(PI_END, start);
  if (declEnd === -1 || declEnd - start > 200) return null;
  const decl = buf.subarray(start, declEnd).toString('latin1');
  const m = /encoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(decl);
  if (m && !/^utf-?8$/i.test(m[1]!)) return `encoding "${m[1]}" is not supported; send UTF-8`;
  return null;
}
