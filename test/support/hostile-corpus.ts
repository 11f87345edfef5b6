import fc from 'fast-check';
import { writeStatusPackage } from '../../src/modules/edoc/writing/write-status-package';

/**
 * A generated corpus of hostile packages for `npm run test:hostile`: every one must be refused
 * with a reason and quarantined, whichever entry point carries it. Built with fast-check from a
 * fixed seed, so a failure names a reproducible case. Signed material (valid signatures to tamper
 * with, packages signed under the wrong organ's certificate, spoofed senders) is prepared by the
 * caller, per sender, and mutated here.
 */
export interface HostileCase {
  kind: string;
  messageType: 'edoc' | 'status';
  bytes: Buffer;
}

export interface SignedMaterial {
  /** Correctly signed packages from the sender itself (never sent untouched). */
  signed: string[];
  /** Packages whose From is the sender but which are signed with another organ's certificate. */
  wrongOrganCertificate: string[];
  /** Packages whose From (and valid signature) belong to another organ, sent on the sender's connection. */
  spoofedFrom: string[];
}

const NS = 'http://www.mic.gov.vn/TBT/QCVN_102_2016';
const utf8 = (s: string) => Buffer.from(s, 'utf8');

/** Replaces the n-th match (mod count) of a pattern; the text unchanged when it has none. */
function replaceNth(text: string, pattern: RegExp, n: number, by: (m: string) => string): string {
  const matches = [
    ...text.matchAll(
      new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`),
    ),
  ];
  if (matches.length === 0) return text;
  const m = matches[n % matches.length]!;
  return text.slice(0, m.index) + by(m[0]) + text.slice(m.index + m[0].length);
}

function nested(depth: number, leaf: string): string {
  return '<a>'.repeat(depth) + leaf + '</a>'.repeat(depth);
}

export function hostileCorpus(
  count: number,
  material: SignedMaterial,
  options: { maxBytes: number; seed: number; sender: string },
): HostileCase[] {
  const pick = (list: string[]) => fc.nat().map((i) => list[i % list.length]!);
  const signed = pick(material.signed);
  const edoc = (kind: string, bytes: Buffer): HostileCase => ({ kind, messageType: 'edoc', bytes });

  const malformed = fc.oneof(
    fc
      .tuple(signed, fc.double({ min: 0.01, max: 0.99, noNaN: true }))
      .map(([p, f]) => edoc('malformed: truncated', utf8(p.slice(0, Math.floor(p.length * f))))),
    fc.string({ maxLength: 200 }).map((s) => edoc('malformed: random text', utf8(s))),
    fc
      .uint8Array({ minLength: 1, maxLength: 400 })
      .map((b) => edoc('malformed: random bytes', Buffer.from(b))),
    fc
      .tuple(signed, fc.nat())
      .map(([p, n]) =>
        edoc('malformed: unbalanced tag', utf8(replaceNth(p, /<\/edXML:[A-Za-z]+>/, n, () => ''))),
      ),
    fc
      .tuple(signed, fc.nat())
      .map(([p, n]) =>
        edoc(
          'malformed: bad entity',
          utf8(replaceNth(p, /<edXML:Subject>/, n, (m) => `${m}&undefined;&#xFFFFFFF;`)),
        ),
      ),
  );

  const doctype = fc.oneof(
    fc
      .constantFrom('file:///etc/passwd', 'http://127.0.0.1:1/x', 'file:///dev/random', 'expect://id')
      .map((uri) =>
        edoc(
          'doctype: XXE',
          utf8(
            `<?xml version="1.0"?><!DOCTYPE edXML [<!ENTITY x SYSTEM "${uri}">]><edXML xmlns="${NS}">&x;</edXML>`,
          ),
        ),
      ),
    fc.integer({ min: 2, max: 12 }).map((fan) => {
      const levels = Array.from(
        { length: 8 },
        (_, i) => `<!ENTITY l${i + 1} "${`&l${i};`.repeat(fan)}">`,
      ).join('');
      return edoc(
        'doctype: billion laughs',
        utf8(
          `<?xml version="1.0"?><!DOCTYPE edXML [<!ENTITY l0 "lol">${levels}]><edXML xmlns="${NS}">&l8;</edXML>`,
        ),
      );
    }),
    fc.constant(
      edoc(
        'doctype: external DTD',
        utf8(
          `<?xml version="1.0"?><!DOCTYPE edXML SYSTEM "http://127.0.0.1:1/edxml.dtd"><edXML xmlns="${NS}"/>`,
        ),
      ),
    ),
    fc.constant(
      edoc(
        'doctype: parameter entity',
        utf8(
          `<?xml version="1.0"?><!DOCTYPE edXML [<!ENTITY % p SYSTEM "http://127.0.0.1:1/p">%p;]><edXML xmlns="${NS}"/>`,
        ),
      ),
    ),
    signed.map((p) =>
      edoc('doctype: in a signed package', utf8(p.replace(/^<\?xml[^>]*\?>/, (d) => `${d}<!DOCTYPE edXML>`))),
    ),
  );

  const shape = fc.oneof(
    fc
      .integer({ min: 65, max: 20_000 })
      .map((d) => edoc('extreme depth', utf8(`<edXML xmlns="${NS}">${nested(d, 'x')}</edXML>`))),
    fc
      .integer({ min: 65, max: 5_000 })
      .map((n) =>
        edoc(
          'extreme attribute count',
          utf8(
            `<edXML xmlns="${NS}"><e ${Array.from({ length: n }, (_, i) => `a${i}="${i}"`).join(' ')}/></edXML>`,
          ),
        ),
      ),
    fc
      .integer({ min: 100_001, max: 150_000 })
      .map((n) => edoc('extreme element count', utf8(`<edXML xmlns="${NS}">${'<e/>'.repeat(n)}</edXML>`))),
  );

  const invalidUtf8 = fc
    .tuple(
      signed,
      fc.nat(),
      fc.constantFrom([0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xc3]),
    )
    .map(([p, n, bad]) => {
      const text = replaceNth(p, /<edXML:Subject>/, n, (m) => `${m}\u0000MARK\u0000`);
      const [before, after] = text.split('\u0000MARK\u0000') as [string, string?];
      return edoc('invalid UTF-8', Buffer.concat([utf8(before), Buffer.from(bad), utf8(after ?? '')]));
    });

  const oversize = fc
    .integer({ min: 1, max: 64 * 1024 })
    .map((extra) =>
      edoc(
        'oversize',
        Buffer.concat([
          utf8(`<edXML xmlns="${NS}"><pad>`),
          Buffer.alloc(options.maxBytes + extra, 0x41),
          utf8('</pad></edXML>'),
        ]),
      ),
    );

  const wrapping = fc.oneof(
    fc
      .tuple(signed, fc.constantFrom('000.00.00.H41', '000.00.00.G01', '000.00.00.A01'))
      .map(([p, other]) =>
        edoc(
          'wrapping: a second From',
          utf8(
            p.replace(
              /<edXML:From>/,
              `<edXML:From><edXML:OrganId>${other}</edXML:OrganId></edXML:From><edXML:From>`,
            ),
          ),
        ),
      ),
    signed.map((p) => {
      const header = /<edXML:MessageHeader>[\s\S]*?<\/edXML:MessageHeader>/.exec(p)?.[0] ?? '';
      return edoc('wrapping: duplicated MessageHeader', utf8(p.replace(header, header + header)));
    }),
    signed.map((p) => {
      const sig = /<(\w+:)?Signature[\s>][\s\S]*<\/(\w+:)?Signature>/.exec(p)?.[0] ?? '';
      return edoc(
        'wrapping: Signature moved into the header',
        utf8(p.replace(sig, '').replace('</edXML:MessageHeader>', `${sig}</edXML:MessageHeader>`)),
      );
    }),
    signed.map((p) => {
      const sig = /<(\w+:)?Signature[\s>][\s\S]*<\/(\w+:)?Signature>/.exec(p)?.[0] ?? '';
      return edoc('wrapping: two Signatures', utf8(p.replace(sig, sig + sig)));
    }),
    signed.map((p) => {
      const body = p.replace(/^<\?xml[^>]*\?>\s*/, '');
      return edoc(
        'wrapping: original hidden in a new root',
        utf8(`<?xml version="1.0" encoding="UTF-8"?><edXML xmlns="${NS}"><Object>${body}</Object></edXML>`),
      );
    }),
    fc
      .tuple(signed, fc.nat())
      .map(([p, n]) =>
        edoc(
          'wrapping: comment in DigestValue',
          utf8(replaceNth(p, /<(\w+:)?DigestValue>/, n, (m) => `${m}<!--x-->`)),
        ),
      ),
    signed.map((p) => edoc('wrapping: Reference to an element', utf8(p.replace(/URI=""/, 'URI="#header"')))),
  );

  const tampered = fc.oneof(
    fc
      .tuple(
        signed,
        fc.string({ minLength: 1, maxLength: 40 }).filter((s) => !/[<&]/.test(s)),
      )
      .map(([p, s]) =>
        edoc(
          'tampered: subject',
          utf8(p.replace(/<edXML:Subject>[^<]*/, `<edXML:Subject>${s.replace(/[>"']/g, '')}x`)),
        ),
      ),
    fc.tuple(signed, fc.nat(), fc.constantFrom('A', 'B', '0', '9', '+')).map(([p, n, c]) => {
      const attachment = /<edXML:ContentAttachment>([A-Za-z0-9+/=\s]{16,})<\/edXML:ContentAttachment>/.exec(
        p,
      );
      if (!attachment)
        return edoc('tampered: attachment', utf8(p.replace('<edXML:Subject>', '<edXML:Subject>!')));
      const start = attachment.index + '<edXML:ContentAttachment>'.length;
      const at = start + (n % Math.max(1, attachment[1]!.length - 8));
      const original = p[at]!;
      const replacement = original === c ? (c === 'A' ? 'B' : 'A') : c;
      return edoc(
        'tampered: attachment',
        utf8(
          /\s/.test(original)
            ? p.replace('<edXML:Subject>', '<edXML:Subject>!')
            : p.slice(0, at) + replacement + p.slice(at + 1),
        ),
      );
    }),
    fc
      .tuple(signed, fc.constantFrom('000.00.00.H14', '000.00.00.G01'))
      .map(([p, to]) =>
        edoc(
          'tampered: recipient added',
          utf8(
            p.replace(
              '<edXML:To>',
              `<edXML:To><edXML:OrganId>${to}</edXML:OrganId><edXML:OrganName>x</edXML:OrganName></edXML:To><edXML:To>`,
            ),
          ),
        ),
      ),
    fc
      .tuple(signed, fc.nat())
      .map(([p, n]) =>
        edoc(
          'tampered: SignatureValue',
          utf8(
            replaceNth(
              p,
              /<(\w+:)?SignatureValue>[A-Za-z0-9+/]/,
              n,
              (m) => m.slice(0, -1) + (m.endsWith('A') ? 'B' : 'A'),
            ),
          ),
        ),
      ),
  );

  const forged = fc.oneof(
    pick(material.wrongOrganCertificate).map((p) => edoc('certificate of another organ', utf8(p))),
    pick(material.spoofedFrom).map((p) => edoc('spoofed From', utf8(p))),
  );

  const bogusStatus = fc
    .record({
      code: fc.oneof(
        fc.constantFrom('01', '02', '03', '04', '05', '06', '13', '15', '16'),
        fc.string({ maxLength: 4 }),
      ),
      documentId: fc.oneof(
        fc.uuid(),
        fc.constant('000.00.00.H41,2026/01/01,1/VP'),
        fc.string({ maxLength: 30 }),
      ),
      from: fc.constantFrom(options.sender, '000.00.00.H41', '000.00.00.G22', 'not-an-organ'),
    })
    .map((s): HostileCase => {
      const xml = writeStatusPackage({
        from: { organId: s.from, organName: s.from },
        responseFor: {
          organId: '000.00.00.H41',
          code: '1/VP',
          promulgationDate: '2026/01/01',
          documentId: s.documentId,
        },
        statusCode: s.code,
        description: 'hostile',
        timestamp: '2026/01/01 08:00:00',
      });
      return { kind: 'bogus status', messageType: 'status', bytes: utf8(xml) };
    });

  // Weights: mostly cheap structural attacks, a steady share of signature attacks, a few big ones.
  const any = fc.oneof(
    { arbitrary: malformed, weight: 20 },
    { arbitrary: doctype, weight: 10 },
    { arbitrary: shape, weight: 6 },
    { arbitrary: invalidUtf8, weight: 10 },
    { arbitrary: oversize, weight: 1 },
    { arbitrary: wrapping, weight: 20 },
    { arbitrary: tampered, weight: 18 },
    { arbitrary: forged, weight: 8 },
    { arbitrary: bogusStatus, weight: 7 },
  );
  return fc.sample(any, { numRuns: count, seed: options.seed });
}
