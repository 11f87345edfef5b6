import { randomBytes, type Hash } from 'node:crypto';
import type { TextRange } from './prescan';
import { packageBuffer } from '../shared/bytes';
import { memoryRanges, type ByteRanges } from '../shared/package-body';

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
    const source = memoryRanges(bytes);
    const eligible = ranges
      .map((range) => ({ range, shape: base64Shape(source, range) }))
      .filter((r): r is { range: TextRange; shape: Base64Shape } => r.shape !== null);
    if (eligible.length === 0) return { bytes, texts: DetachedTexts.NONE };

    const prefix = uniquePrefix(bytes);
    const byToken = new Map<string, DetachedText>();
    const pieces: Buffer[] = [];
    let at = 0;
    eligible.forEach(({ range, shape }, index) => {
      const token = tokenOf(prefix, index);
      byToken.set(token, new DetachedText(source, range, shape));
      pieces.push(bytes.subarray(at, range.start), Buffer.from(token, 'latin1'));
      at = range.end;
    });
    pieces.push(bytes.subarray(at));
    return { bytes: Buffer.concat(pieces), texts: new DetachedTexts(Buffer.from(prefix, 'latin1'), byToken) };
  }

  /**
   * The same for a package read a range at a time (a spool file): every run of at least
   * `minBytes` base64 characters between a `>` and a `<` that is pure base64Binary is replaced by
   * a token, and only the rest is read into memory. Unlike `detach`, this does not know which
   * element a run belongs to: the caller checks (with the prescan of the result) that every
   * token stands alone in a ContentTransferEncoded element, and reads the package whole if not.
   */
  static detachRuns(
    source: ByteRanges,
    minBytes: number,
  ): { bytes: Buffer; texts: DetachedTexts; tokens: TextRange[] } {
    const eligible = longRuns(source, minBytes)
      .map((range) => ({ range, shape: base64Shape(source, range) }))
      .filter((r): r is { range: TextRange; shape: Base64Shape } => r.shape !== null);
    const detachedBytes = eligible.reduce((n, { range }) => n + range.end - range.start, 0);
    const out = Buffer.allocUnsafe(source.length - detachedBytes + eligible.length * TOKEN_LENGTH);
    for (;;) {
      const prefix = `EdocBusDetached${randomBytes(12).toString('hex')}`;
      const byToken = new Map<string, DetachedText>();
      const tokens: TextRange[] = [];
      let n = 0;
      let at = 0;
      const copyUpTo = (end: number) => {
        for (const piece of source.pieces(at, end)) n += piece.copy(out, n);
        at = end;
      };
      eligible.forEach(({ range, shape }, index) => {
        copyUpTo(range.start);
        const token = tokenOf(prefix, index);
        byToken.set(token, new DetachedText(source, range, shape));
        tokens.push({ start: n, end: n + TOKEN_LENGTH });
        n += out.write(token, n, 'latin1');
        at = range.end;
      });
      copyUpTo(source.length);
      // Tokens cannot collide with the package's own text: try another prefix if it occurs there.
      if (occurrences(out, prefix) === eligible.length) {
        const texts =
          eligible.length === 0
            ? DetachedTexts.NONE
            : new DetachedTexts(Buffer.from(prefix, 'latin1'), byToken);
        return { bytes: out, texts, tokens };
      }
    }
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

/** One attachment text, read from the received bytes (in memory or in a spool file) on demand. */
export class DetachedText {
  constructor(
    private readonly source: ByteRanges,
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

  /**
   * The text as the parser gives it, in pieces: CRLF and lone CR read as LF (XML §2.11). A piece
   * is valid until the next one is asked for (with line ends to rewrite, one piece is reused).
   */
  *canonicalPieces(): Generator<Buffer> {
    const { start, end } = this.range;
    if (!this.shape.hasCarriageReturn) {
      yield* this.source.pieces(start, end);
      return;
    }
    const out = Buffer.allocUnsafe(Math.min(PIECE_BYTES, end - start));
    let n = 0;
    // A CR was just written as LF: an LF right after it is the same line end.
    let afterCr = false;
    for (const piece of this.source.pieces(start, end)) {
      for (let i = 0; i < piece.length; i++) {
        const c = piece[i]!;
        if (c === LF && afterCr) {
          afterCr = false;
          continue;
        }
        afterCr = c === CR;
        out[n++] = afterCr ? LF : c;
        if (n === out.length) {
          yield out;
          n = 0;
        }
      }
    }
    if (n > 0) yield out.subarray(0, n);
  }

  /**
   * The decoded attachment in pieces of about 2 MB: hashing and sizing never hold it whole.
   * Decoded here, from the bytes into one reused piece, because the usual route (a latin1 string
   * of each piece, then a new Buffer from it) leaves ~100 MB of garbage in a worker per 46 MB
   * attachment. Each piece is valid until the next one is asked for. The text was checked to be
   * pure base64Binary when it was detached, so only letters, whitespace and final padding occur.
   */
  *decodedPieces(): Generator<Buffer> {
    const out = Buffer.allocUnsafe(DECODED_PIECE_BYTES);
    let n = 0;
    let quad = 0;
    let letters = 0;
    for (const piece of this.source.pieces(this.range.start, this.range.end)) {
      for (let i = 0; i < piece.length; i++) {
        const v = SEXTET[piece[i]!]!;
        if (v >= 64) continue; // whitespace; padding only ends the text
        quad = (quad << 6) | v;
        if (++letters === 4) {
          out[n] = quad >>> 16;
          out[n + 1] = (quad >>> 8) & 0xff;
          out[n + 2] = quad & 0xff;
          n += 3;
          quad = 0;
          letters = 0;
          if (n === out.length) {
            yield out;
            n = 0;
          }
        }
      }
    }
    // One or two '=' end the text: the last 12 or 18 bits hold one or two bytes.
    if (letters === 2) out[n++] = (quad >>> 4) & 0xff;
    else if (letters === 3) {
      out[n++] = (quad >>> 10) & 0xff;
      out[n++] = (quad >>> 2) & 0xff;
    }
    if (n > 0) yield out.subarray(0, n);
  }

  /** The first decoded bytes (file-type sniffing) without decoding the rest. */
  decodedHead(bytes: number): Buffer {
    const wanted = Math.ceil(bytes / 3) * 4;
    const chars: number[] = [];
    for (const piece of this.source.pieces(this.range.start, this.range.end)) {
      for (let i = 0; i < piece.length && chars.length < wanted; i++) {
        if (CLASS[piece[i]!] !== WHITESPACE) chars.push(piece[i]!);
      }
      if (chars.length >= wanted) break;
    }
    return Buffer.from(Buffer.from(chars).toString('latin1'), 'base64').subarray(0, bytes);
  }

  /** Whether the decoded attachment contains `needle`, looked for piece by piece and across seams. */
  decodedIncludes(needle: Buffer): boolean {
    const overlap = needle.length - 1;
    let tail = Buffer.alloc(0); // the last `overlap` bytes before the current piece
    for (const piece of this.decodedPieces()) {
      if (piece.includes(needle)) return true;
      if (overlap === 0) continue;
      const seam = Buffer.concat([tail, piece.subarray(0, overlap)]);
      if (seam.includes(needle)) return true;
      const joined = piece.length >= overlap ? piece : Buffer.concat([tail, piece]);
      tail = Buffer.from(joined.subarray(Math.max(0, joined.length - overlap)));
    }
    return false;
  }

  /** The whole decoded attachment (a PDF whose signatures are checked needs it whole). */
  decode(): Buffer {
    const out = packageBuffer(this.decodedSize);
    let at = 0;
    for (const piece of this.decodedPieces()) at += piece.copy(out, at);
    return out.subarray(0, at);
  }

  /**
   * Decodes the text into the very bytes it was read from and returns it there: a large SOAP
   * package then costs no memory beyond the envelope that brought it. Safe because base64 is
   * longer than what it decodes to, so each piece is written behind the point already read.
   * Only for a source in memory that nobody else reads: the text is gone afterwards.
   */
  decodeInPlace(): Buffer {
    const memory = this.source.memory;
    if (!memory) throw new Error('only a text in memory can be decoded in place');
    const start = this.range.start;
    let at = start;
    for (const piece of this.decodedPieces()) at += piece.copy(memory, at);
    return memory.subarray(start, at);
  }

  /** The base64 without whitespace, as one string. */
  compactBase64(): string {
    return this.text().replace(/\s+/g, '');
  }

  /** The text as the parser gives it, as one string. */
  text(): string {
    const pieces: Buffer[] = [];
    for (const piece of this.canonicalPieces()) pieces.push(Buffer.from(piece));
    return Buffer.concat(pieces).toString('latin1');
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
const LT = 0x3c;
const GT = 0x3e;
const PIECE_BYTES = 3 * 1024 * 1024;
const INDEX_DIGITS = 6;
const TOKEN_LENGTH = 48;

// Byte classes; OTHER (the default) is a byte that may not appear in a detachable text.
const OTHER = 0;
const LETTER = 1;
const WHITESPACE = 2;
const PAD = 3;
const CLASS = new Uint8Array(256);
/** Decoded pieces: a multiple of 3 bytes, so pieces join into the whole. */
const DECODED_PIECE_BYTES = 3 * 768 * 1024;
const SEXTET_PAD = 64;
const SEXTET_OTHER = 65;
/** Base64 letter → its 6 bits; 64 for '=', 65 for anything else (whitespace). */
const SEXTET = new Uint8Array(256).fill(SEXTET_OTHER);
[...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'].forEach(
  (c, i) => (SEXTET[c.charCodeAt(0)] = i),
);
SEXTET[0x3d] = SEXTET_PAD;
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/')
  CLASS[c.charCodeAt(0)] = LETTER;
for (const c of [0x20, 0x09, LF, CR]) CLASS[c] = WHITESPACE;
CLASS[0x3d] = PAD;
// The letter before padding must leave no stray bits (XML Schema base64Binary: B16 and B04).
const BEFORE_ONE_PAD = new Set([...'AEIMQUYcgkosw048'].map((c) => c.charCodeAt(0)));
const BEFORE_TWO_PADS = new Set([...'AQgw'].map((c) => c.charCodeAt(0)));

/** The shape of a text that is valid base64Binary made only of letters and whitespace, else null. */
function base64Shape(source: ByteRanges, { start, end }: TextRange): Base64Shape | null {
  let letters = 0;
  let padding = 0;
  let lastLetter = 0;
  let carriageReturnsBeforeLf = 0;
  let hasCarriageReturn = false;
  let afterCr = false;
  for (const piece of source.pieces(start, end)) {
    for (let i = 0; i < piece.length; i++) {
      const c = piece[i]!;
      const kind = CLASS[c];
      if (kind === LETTER) {
        if (padding > 0) return null;
        letters++;
        lastLetter = c;
      } else if (kind === PAD) {
        if (++padding > 2) return null;
      } else if (kind === WHITESPACE) {
        if (c === CR) hasCarriageReturn = true;
        else if (c === LF && afterCr) carriageReturnsBeforeLf++;
      } else return null;
      afterCr = c === CR;
    }
  }
  if (letters === 0 || (letters + padding) % 4 !== 0) return null;
  if (padding === 1 && !BEFORE_ONE_PAD.has(lastLetter)) return null;
  if (padding === 2 && !BEFORE_TWO_PADS.has(lastLetter)) return null;
  return { letters, padding, hasCarriageReturn, normalisedLength: end - start - carriageReturnsBeforeLf };
}

/**
 * Runs of at least `minBytes` base64 characters (letters, padding, whitespace) that start right
 * after a `>` and end right before a `<`: where an element holds nothing but such a text.
 */
function longRuns(source: ByteRanges, minBytes: number): TextRange[] {
  const runs: TextRange[] = [];
  let runStart = -1; // -1: not in a run that started after a `>`
  let previous = 0;
  let at = 0;
  for (const piece of source.pieces(0, source.length)) {
    for (let i = 0; i < piece.length; i++, at++) {
      const c = piece[i]!;
      if (CLASS[c] !== OTHER) {
        if (runStart === -1 && previous === GT) runStart = at;
      } else {
        if (runStart !== -1 && c === LT && at - runStart >= minBytes) runs.push({ start: runStart, end: at });
        runStart = -1;
      }
      previous = c;
    }
  }
  return runs;
}

function occurrences(bytes: Buffer, text: string): number {
  let count = 0;
  for (let at = bytes.indexOf(text, 0, 'latin1'); at !== -1; at = bytes.indexOf(text, at + 1, 'latin1'))
    count++;
  return count;
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
