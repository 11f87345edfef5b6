import { randomBytes, type Hash } from 'node:crypto';
import type { TextRange } from './prescan';

/**
 * Large attachments kept out of the parser. A 46 MB package is almost all one base64 text; parsed
 * as is, libxml2 (WebAssembly) holds it two or three times over, and WebAssembly memory never
 * shrinks, so every inspection worker would keep hundreds of MB after its first large package.
 *
 * Instead each large attachment text is replaced, before parsing, by a short token made only of
 * base64 letters (so the XSD still sees valid base64Binary), and the real text is read from the
 * received bytes wherever it is needed:
 * - the signature digest: the canonical form is streamed into the hash and every token is
 *   replaced there by the text's canonical form — which for a text of base64 letters and
 *   whitespace is the text itself with line ends normalised (C14N escapes only & < > and CR,
 *   and a parsed CR is always a normalised line end) — so the digest is the one of the package
 *   as received, byte for byte what xmlsec1 computes;
 * - the attachment's size and SHA-256, and PDF signature checks: decoded in pieces.
 * Only texts that are pure base64 (alphabet, padding, whitespace; no entity or character
 * reference) are detached; anything else stays in the DOM and takes the ordinary path.
 */
export class DetachedTexts {
  static readonly NONE = new DetachedTexts(Buffer.alloc(0), new Map());

  private constructor(
    /** Bytes of the token prefix, unique to this package. */
    private readonly prefix: Buffer,
    private readonly byToken: Map<string, DetachedText>,
  ) {}

  /**
   * The package with every eligible range replaced by a token, and the texts that were taken out.
   * Returns the bytes unchanged (and NONE) when nothing is eligible.
   */
  static detach(bytes: Buffer, ranges: readonly TextRange[]): { bytes: Buffer; texts: DetachedTexts } {
    const eligible = ranges
      .map((range) => ({ range, shape: base64Shape(bytes, range) }))
      .filter((r): r is { range: TextRange; shape: Base64Shape } => r.shape !== null);
    if (eligible.length === 0) return { bytes, texts: DetachedTexts.NONE };

    const prefix = uniquePrefix(bytes);
    const byToken = new Map<string, DetachedText>();
    const pieces: Buffer[] = [];
    let at = 0;
    eligible.forEach(({ range, shape }, index) => {
      const token = tokenOf(prefix, index);
      byToken.set(token, new DetachedText(bytes, range, shape));
      pieces.push(bytes.subarray(at, range.start), Buffer.from(token, 'latin1'));
      at = range.end;
    });
    pieces.push(bytes.subarray(at));
    return { bytes: Buffer.concat(pieces), texts: new DetachedTexts(Buffer.from(prefix, 'latin1'), byToken) };
  }

  get size(): number {
    return this.byToken.size;
  }

  /** The detached text whose token is exactly this element content, if any. */
  lookup(content: string): DetachedText | undefined {
    return this.byToken.size === 0 || content.length !== TOKEN_LENGTH ? undefined : this.byToken.get(content);
  }

  /** A serialised fragment with every token put back as its text (rare paths: unknown elements). */
  restore(xml: string): string {
    if (this.byToken.size === 0) return xml;
    const prefix = this.prefix.toString('latin1');
    const padding = TOKEN_LENGTH - prefix.length - INDEX_DIGITS;
    return xml.replace(new RegExp(`${prefix}\\d{${INDEX_DIGITS}}A{${padding}}`, 'g'), (token) => {
      const text = this.byToken.get(token);
      return text ? text.text() : token;
    });
  }

  /**
   * A sink for canonical output that feeds `hash` with every token replaced by its text. Tokens
   * may be split across writes, so up to a token's length is held back between writes (libxml2
   * reuses its output buffer: what is held back is copied).
   */
  hashSink(hash: Hash): { write(chunk: Uint8Array): void; end(): void } {
    if (this.byToken.size === 0) return { write: (chunk) => void hash.update(chunk), end: () => undefined };
    let carry: Buffer = Buffer.alloc(0);
    const write = (chunk: Uint8Array): void => {
      const view = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
      const data = carry.length > 0 ? Buffer.concat([carry, view]) : view;
      let from = 0;
      for (;;) {
        const at = data.indexOf(this.prefix, from);
        if (at === -1) {
          const keep = Math.min(data.length - from, this.prefix.length - 1);
          hash.update(data.subarray(from, data.length - keep));
          carry = Buffer.from(data.subarray(data.length - keep));
          return;
        }
        hash.update(data.subarray(from, at));
        if (at + TOKEN_LENGTH > data.length) {
          carry = Buffer.from(data.subarray(at));
          return;
        }
        const text = this.byToken.get(data.toString('latin1', at, at + TOKEN_LENGTH));
        if (text) for (const piece of text.canonicalPieces()) hash.update(piece);
        else hash.update(data.subarray(at, at + TOKEN_LENGTH));
        from = at + TOKEN_LENGTH;
      }
    };
    return { write, end: () => void hash.update(carry) };
  }
}

/** One attachment text, read from the received bytes on demand. */
export class DetachedText {
  constructor(
    private readonly source: Buffer,
    private readonly range: TextRange,
    private readonly shape: Base64Shape,
  ) {}

  /** Characters of the text as parsed (line ends normalised): what `content.length` would be. */
  get length(): number {
    return this.shape.normalisedLength;
  }

  /** Size of the decoded attachment in bytes. */
  get decodedSize(): number {
    return ((this.shape.letters + this.shape.padding) / 4) * 3 - this.shape.padding;
  }

  /** The text as the parser gives it, in pieces: CRLF and lone CR read as LF (XML §2.11). */
  *canonicalPieces(): Generator<Buffer> {
    const { start, end } = this.range;
    if (!this.shape.hasCarriageReturn) {
      yield this.source.subarray(start, end);
      return;
    }
    const out = Buffer.allocUnsafe(Math.min(PIECE_BYTES, end - start));
    let n = 0;
    for (let i = start; i < end; i++) {
      const c = this.source[i]!;
      if (c === CR) {
        if (i + 1 < end && this.source[i + 1] === LF) continue;
        out[n++] = LF;
      } else out[n++] = c;
      if (n === out.length) {
        yield Buffer.from(out);
        n = 0;
      }
    }
    if (n > 0) yield Buffer.from(out.subarray(0, n));
  }

  /** The decoded attachment in pieces of about 3 MB: hashing and sizing never hold it whole. */
  *decodedPieces(): Generator<Buffer> {
    const compact = Buffer.allocUnsafe(PIECE_BYTES);
    let n = 0;
    for (let i = this.range.start; i < this.range.end; i++) {
      const c = this.source[i]!;
      if (CLASS[c] !== WHITESPACE) {
        compact[n++] = c;
        if (n === compact.length) {
          yield Buffer.from(compact.toString('latin1', 0, n), 'base64');
          n = 0;
        }
      }
    }
    if (n > 0) yield Buffer.from(compact.toString('latin1', 0, n), 'base64');
  }

  /** The first decoded bytes (file-type sniffing) without decoding the rest. */
  decodedHead(bytes: number): Buffer {
    const wanted = Math.ceil(bytes / 3) * 4;
    const chars: number[] = [];
    for (let i = this.range.start; i < this.range.end && chars.length < wanted; i++) {
      const c = this.source[i]!;
      if (CLASS[c] !== WHITESPACE) chars.push(c);
    }
    return Buffer.from(Buffer.from(chars).toString('latin1'), 'base64').subarray(0, bytes);
  }

  /** Whether the decoded attachment contains `needle`, looked for piece by piece. */
  decodedIncludes(needle: Buffer): boolean {
    let carry = Buffer.alloc(0);
    for (const piece of this.decodedPieces()) {
      const window = carry.length > 0 ? Buffer.concat([carry, piece]) : piece;
      if (window.includes(needle)) return true;
      carry = Buffer.from(window.subarray(Math.max(0, window.length - needle.length + 1)));
    }
    return false;
  }

  /** The whole decoded attachment (a PDF whose signatures are checked needs it whole). */
  decode(): Buffer {
    const out = Buffer.allocUnsafe(this.decodedSize);
    let at = 0;
    for (const piece of this.decodedPieces()) at += piece.copy(out, at);
    return out.subarray(0, at);
  }

  /** The base64 without whitespace, as one string. */
  compactBase64(): string {
    return this.text().replace(/\s+/g, '');
  }

  /** The text as the parser gives it, as one string. */
  text(): string {
    return Buffer.concat([...this.canonicalPieces()]).toString('latin1');
  }
}

interface Base64Shape {
  letters: number;
  padding: number;
  hasCarriageReturn: boolean;
  normalisedLength: number;
}

const CR = 0x0d;
const LF = 0x0a;
const PIECE_BYTES = 3 * 1024 * 1024;
const INDEX_DIGITS = 6;
const TOKEN_LENGTH = 48;

// Byte classes; 0 (the default) is a byte that may not appear in a detachable text.
const LETTER = 1;
const WHITESPACE = 2;
const PAD = 3;
const CLASS = new Uint8Array(256);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/')
  CLASS[c.charCodeAt(0)] = LETTER;
for (const c of [0x20, 0x09, LF, CR]) CLASS[c] = WHITESPACE;
CLASS[0x3d] = PAD;
// The letter before padding must leave no stray bits (XML Schema base64Binary: B16 and B04).
const BEFORE_ONE_PAD = new Set([...'AEIMQUYcgkosw048'].map((c) => c.charCodeAt(0)));
const BEFORE_TWO_PADS = new Set([...'AQgw'].map((c) => c.charCodeAt(0)));

/** The shape of a text that is valid base64Binary made only of letters and whitespace, else null. */
function base64Shape(bytes: Buffer, { start, end }: TextRange): Base64Shape | null {
  let letters = 0;
  let padding = 0;
  let lastLetter = 0;
  let carriageReturnsBeforeLf = 0;
  let hasCarriageReturn = false;
  for (let i = start; i < end; i++) {
    const c = bytes[i]!;
    const kind = CLASS[c];
    if (kind === LETTER) {
      if (padding > 0) return null;
      letters++;
      lastLetter = c;
    } else if (kind === PAD) {
      if (++padding > 2) return null;
    } else if (kind === WHITESPACE) {
      if (c === CR) {
        hasCarriageReturn = true;
        if (bytes[i + 1] === LF && i + 1 < end) carriageReturnsBeforeLf++;
      }
    } else return null;
  }
  if (letters === 0 || (letters + padding) % 4 !== 0) return null;
  if (padding === 1 && !BEFORE_ONE_PAD.has(lastLetter)) return null;
  if (padding === 2 && !BEFORE_TWO_PADS.has(lastLetter)) return null;
  return { letters, padding, hasCarriageReturn, normalisedLength: end - start - carriageReturnsBeforeLf };
}

/** A prefix of base64 letters that occurs nowhere in the package, so tokens cannot collide. */
function uniquePrefix(bytes: Buffer): string {
  for (;;) {
    const prefix = `EdocBusDetached${randomBytes(12).toString('hex')}`;
    if (bytes.indexOf(prefix, 0, 'latin1') === -1) return prefix;
  }
}

function tokenOf(prefix: string, index: number): string {
  return `${prefix}${String(index).padStart(INDEX_DIGITS, '0')}`.padEnd(TOKEN_LENGTH, 'A');
}
