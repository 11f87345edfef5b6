import { createHash, randomBytes, type Hash } from 'node:crypto';
import type { ByteRanges } from '../shared/package-body';
import { DetachedTexts } from './detached-texts';
import type { TextRange } from './prescan';

/** The ranges of the texts between `<T>` and `</T>` in a string, as the prescan reports them. */
function rangesIn(xml: string): TextRange[] {
  const out: TextRange[] = [];
  for (const m of xml.matchAll(/<T>([^<]*)<\/T>/g)) {
    const start = Buffer.byteLength(xml.slice(0, m.index + 3));
    out.push({ start, end: start + Buffer.byteLength(m[1]!) });
  }
  return out;
}

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

describe('detached attachment texts', () => {
  const file = randomBytes(7 * 1024 * 1024 + 5); // more than two 3 MiB decoding pieces
  const wrapped = file.toString('base64').replace(/.{76}/g, '$&\r\n').replace(/\r\n$/, '');
  const xml = `<r><T>${wrapped}</T><T>not base64 &amp; so kept</T><U>x</U><T>\n  QUJD\n</T></r>`;
  const source = Buffer.from(xml);
  const { bytes, texts } = DetachedTexts.detach(source, rangesIn(xml));
  const tokens = [...bytes.toString('latin1').matchAll(/<T>([^<]*)<\/T>/g)].map((m) => m[1]!);

  it('replaces each pure base64 text by a short base64-shaped token, and leaves the others', () => {
    expect(texts.size).toBe(2);
    expect(tokens[1]).toBe('not base64 &amp; so kept');
    for (const token of [tokens[0]!, tokens[2]!]) {
      expect(token).toMatch(/^[A-Za-z0-9]+$/);
      expect(token.length % 4).toBe(0);
      expect(texts.lookup(token)).toBeDefined();
    }
    expect(bytes.length).toBeLessThan(400);
    expect(texts.lookup('QUJD')).toBeUndefined();
  });

  it('gives back the text as a parser reads it (CRLF → LF) and the decoded file, in pieces', () => {
    const text = texts.lookup(tokens[0]!)!;
    const parsed = wrapped.replace(/\r\n/g, '\n');
    expect(text.text()).toBe(parsed);
    expect(text.length).toBe(parsed.length);
    expect(text.decodedSize).toBe(file.length);
    expect(text.decode().equals(file)).toBe(true);
    const pieces: Buffer[] = [];
    for (const piece of text.decodedPieces()) pieces.push(Buffer.from(piece)); // each is reused
    expect(pieces.length).toBeGreaterThan(2);
    expect(sha256(Buffer.concat(pieces))).toBe(sha256(file));
    expect(text.decodedHead(12).equals(file.subarray(0, 12))).toBe(true);
    expect(text.compactBase64()).toBe(file.toString('base64'));
    expect(texts.lookup(tokens[2]!)!.decode().toString()).toBe('ABC');
    // across a piece boundary (3 MiB of base64, 2.25 MiB decoded, per piece)
    const boundary = (3 * 1024 * 1024 * 3) / 4;
    expect(text.decodedIncludes(file.subarray(boundary - 5, boundary + 5))).toBe(true);
    expect(text.decodedIncludes(Buffer.from('not in random bytes, surely'))).toBe(false);
  });

  it('decodes every tail length (no, one or two padding letters) as Node does', () => {
    for (let size = 1; size <= 12; size++) {
      const bytes = randomBytes(size);
      const text = `\r\n ${bytes.toString('base64').replace(/(.{3})/g, '$1\r\n')}\n`;
      const doc = `<r><T>${text}</T></r>`;
      const one = DetachedTexts.detach(Buffer.from(doc), rangesIn(doc));
      const [token] = [...one.bytes.toString('latin1').matchAll(/<T>([^<]*)<\/T>/g)].map((m) => m[1]!);
      const detached = one.texts.lookup(token!)!;
      expect(detached.decodedSize).toBe(size);
      expect(detached.decode().equals(bytes)).toBe(true);
    }
  });

  it('decodes a text in place, inside the bytes it came in, leaving what is around it', () => {
    const own = Buffer.from(xml);
    const detached = DetachedTexts.detach(own, rangesIn(xml));
    const [first] = [...detached.bytes.toString('latin1').matchAll(/<T>([^<]*)<\/T>/g)];
    const decoded = detached.texts.lookup(first![1]!)!.decodeInPlace();
    expect(decoded.equals(file)).toBe(true);
    expect(decoded.buffer).toBe(own.buffer);
    expect(decoded.byteOffset).toBe(own.byteOffset + '<r><T>'.length);
    expect(own.toString('latin1', own.length - 60)).toBe(xml.slice(-60));
  });

  it('hashes canonical output as if the texts had never left, however the output is cut', () => {
    // What C14N would write for the tokenised document, and for the original one.
    const tokenised = bytes;
    const original = Buffer.from(xml.replace(/\r\n/g, '\n'));
    for (const cut of [1, 7, 47, 48, 49, 4000, tokenised.length]) {
      const hash = createHash('sha256');
      const sink = texts.hashSink(hash);
      for (let at = 0; at < tokenised.length; at += cut) sink.write(tokenised.subarray(at, at + cut));
      sink.end();
      expect([cut, hash.digest('hex')]).toEqual([cut, sha256(original)]);
    }
  });

  it('puts the texts back into a serialised fragment', () => {
    const fragment = `<T>${tokens[2]}</T>`;
    expect(texts.restore(fragment)).toBe('<T>\n  QUJD\n</T>');
  });

  it.each([
    ['a letter after padding', 'QUJD=QUJD'.padEnd(300, ' ')],
    ['three padding characters', 'QUJ==='],
    ['a length that is not a multiple of four', 'QUJDQ'],
    ['stray bits before padding', 'QUJE'.repeat(10) + 'QR=='],
    ['a character reference', 'QUJD&#65;QUJD'],
    ['nothing but whitespace', '   \n  '],
  ])('keeps a text with %s in the DOM', (_label, text) => {
    const x = `<r><T>${text}</T></r>`;
    expect(DetachedTexts.detach(Buffer.from(x), rangesIn(x)).texts.size).toBe(0);
  });
});

describe('detached texts of a package read a range at a time (a spool file)', () => {
  /** The package in pieces of `size` bytes, so every seam (CR|LF, padding, `>`|text) is crossed. */
  const inPieces = (bytes: Buffer, size: number): ByteRanges => ({
    length: bytes.length,
    memory: null,
    *pieces(start: number, end: number) {
      for (let at = start; at < end; at += size)
        yield Buffer.from(bytes.subarray(at, Math.min(end, at + size)));
    },
  });
  const file = randomBytes(300_001);
  const wrapped = file.toString('base64').replace(/.{76}/g, '$&\r\n');
  const xml =
    `<r><T>${wrapped}</T><T>QUJD</T><!-- ${'QUJD'.repeat(40_000)} -->` +
    `<T>${'A'.repeat(200_000)}=</T><U a="b">${file.toString('base64')}</U></r>`;
  const source = Buffer.from(xml);

  it.each([7, 4096, 1 << 20])('finds the same texts in pieces of %i bytes as in memory', (size) => {
    const { bytes, texts, tokens } = DetachedTexts.detachRuns(inPieces(source, size), 100_000);
    // The first attachment and the <U> text; not the short one, the comment, nor the bad padding.
    expect(texts.size).toBe(2);
    expect(tokens).toHaveLength(2);
    const skeleton = bytes.toString('latin1');
    const tokenTexts = tokens.map((t) => skeleton.slice(t.start, t.end));
    expect(skeleton.replace(/EdocBusDetached\w+/g, 'TOKEN')).toBe(
      `<r><T>TOKEN</T><T>QUJD</T><!-- ${'QUJD'.repeat(40_000)} --><T>${'A'.repeat(200_000)}=</T><U a="b">TOKEN</U></r>`,
    );
    const first = texts.lookup(tokenTexts[0]!)!;
    expect(first.text()).toBe(wrapped.replace(/\r\n/g, '\n'));
    expect(first.length).toBe(wrapped.replace(/\r\n/g, '\n').length);
    expect(first.decode().equals(file)).toBe(true);
    expect(first.decodedHead(12).equals(file.subarray(0, 12))).toBe(true);
    expect(texts.lookup(tokenTexts[1]!)!.decode().equals(file)).toBe(true);
    const sink: Buffer[] = [];
    const hash = { update: (piece: Uint8Array) => sink.push(Buffer.from(piece)) };
    const write = texts.hashSink(hash as unknown as Hash);
    for (let at = 0; at < bytes.length; at += 1000) write.write(bytes.subarray(at, at + 1000));
    write.end();
    expect(Buffer.concat(sink).toString('latin1')).toBe(xml.replace(/\r\n/g, '\n'));
  });

  it('decodes in place only a text in memory', () => {
    const { texts, tokens, bytes } = DetachedTexts.detachRuns(inPieces(source, 4096), 100_000);
    const token = bytes.toString('latin1', tokens[0]!.start, tokens[0]!.end);
    expect(() => texts.lookup(token)!.decodeInPlace()).toThrow(/in memory/);
  });
});
