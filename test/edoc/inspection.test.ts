import { InspectionPool } from '../../src/adapters/workers/inspection-pool';
import type { InspectionResult } from '../../src/modules/edoc/inspection/package-inspection.port';
import { writeEdocPackage } from '../../src/modules/edoc/writing/write-edoc-package';
import { writeStatusPackage } from '../../src/modules/edoc/writing/write-status-package';
import { DEFAULT_XML_LIMITS } from '../../src/modules/xml/prescan';
import { BILLION_LAUGHS, DOCTYPE_XXE } from '../support/hostile';
import { documentPackage } from '../support/packages';
import { NON_QCVN_SAMPLE, samplePackages } from '../support/samples';

/**
 * The edXML inspection as the bus runs it: in worker threads, libxml2 (WebAssembly) parsing,
 * the project's XSDs, the lenient reader. Component tests: no broker or database needed.
 */
describe('edXML inspection', () => {
  const pool = new InspectionPool(2, { anchorsPem: '', intermediatesPem: '' });
  afterAll(() => pool.close());

  const inspect = (
    xml: string | Buffer,
    declaredKind: 'edoc' | 'status' | null = null,
    limits = DEFAULT_XML_LIMITS,
  ) => pool.inspect({ bytes: typeof xml === 'string' ? Buffer.from(xml) : xml, declaredKind, limits });

  const accepted = (r: InspectionResult) => {
    if (!r.ok) throw new Error(`refused: ${r.refusal.code} ${r.refusal.details.join('; ')}`);
    return r;
  };

  describe('the real sample packages', () => {
    const samples = samplePackages();

    it('finds them', () => {
      expect(samples.length).toBeGreaterThanOrEqual(13);
    });

    it.each(samples.filter((s) => s.name !== NON_QCVN_SAMPLE).map((s) => [s.name, s.bytes] as const))(
      'accepts %s',
      async (_name, bytes) => {
        const r = accepted(await inspect(bytes));
        if (r.kind === 'edoc') {
          expect(r.model.header.from.organId).not.toBe('');
          expect(r.model.header.to.length).toBeGreaterThan(0);
        } else {
          expect(r.model.statusCode).toMatch(/^\d\d$/);
          expect(r.model.responseFor.documentId).toBeTruthy();
        }
      },
    );

    it('refuses the non-QCVN shape with the exact elements that are wrong', async () => {
      const r = await inspect(samples.find((s) => s.name === NON_QCVN_SAMPLE)!.bytes);
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.refusal.code).toBe('XSD_INVALID');
      expect(r.refusal.details.join('\n')).toMatch(
        /line 38: Element 'Content': This element is not expected/,
      );
      expect(r.refusal.details.join('\n')).toMatch(
        /Element 'edXMLAttachments': This element is not expected/,
      );
      expect(r.claimedSender).toBe('vxp.saas.03');
    });

    it('reads the status samples, including the sender-issued recall request (13)', async () => {
      const statuses = [];
      for (const s of samples.filter((x) => x.name.includes('__status')))
        statuses.push(accepted(await inspect(s.bytes)));
      expect(statuses.map((s) => (s.kind === 'status' ? s.model.statusCode : '')).sort()).toEqual([
        '01',
        '01',
        '02',
        '03',
        '04',
        '05',
        '06',
        '13',
        '15',
        '16',
      ]);
      const recall = statuses.find((s) => s.kind === 'status' && s.model.statusCode === '13')!;
      expect(recall.kind === 'status' && recall.model.from.organId).toBe('000.00.00.G22');
      expect(recall.kind === 'status' && recall.model.responseFor.organId).toBe('000.00.00.H41');
    });

    it('reads the three attachments of the builder sample, with or without cid:', async () => {
      const r = accepted(await inspect(samples.find((s) => s.name.includes('1da394ba'))!.bytes));
      if (r.kind !== 'edoc') throw new Error('expected a document');
      expect(r.model.attachments.map((a) => a.attachmentName)).toEqual([
        'localA.txt',
        'localB.txt',
        'localC.txt',
      ]);
      expect(r.model.manifest.map((m) => m.contentId)).toEqual(r.model.attachments.map((a) => a.contentId));
      expect(r.model.attachments[0]!.contentId).toBe('b33d76bb-b6a0-48e0-ab54-38cf39e19ffa');
      expect(r.model.attachments[0]!.size).toBeGreaterThan(0);
      expect(r.model.business?.businessDocType).toBe(0);
    });
  });

  describe('the canonical writer', () => {
    it('writes a package the reader reads back to the same model', async () => {
      const { xml } = documentPackage('000.00.00.G22', ['000.00.00.H41', '000.00.00.H49']);
      const first = accepted(await inspect(xml, null));
      if (first.kind !== 'edoc') throw new Error('expected a document');
      const again = writeEdocPackage({
        header: first.model.header,
        traces: first.model.traces,
        business: first.model.business,
        attachments: [],
        manifest: first.model.manifest,
        extras: first.model.extras,
      });
      const second = accepted(await inspect(again, 'edoc'));
      if (second.kind !== 'edoc') throw new Error('expected a document');
      expect(second.model.header).toEqual(first.model.header);
      expect(second.model.business).toEqual(first.model.business);
      expect(second.model.traces).toEqual(first.model.traces);
    });

    it('writes the official sample shape: default namespace on the root, edXML: prefix inside, CRLF', () => {
      const { xml } = documentPackage('000.00.00.G22', ['000.00.00.H41']);
      expect(xml).toMatch(
        /^<\?xml version="1.0" encoding="UTF-8"\?>\r\n<edXML xmlns="http:\/\/www.mic.gov.vn\/TBT\/QCVN_102_2016">\r\n/,
      );
      expect(xml).toContain('<edXML:edXMLEnvelope xmlns:edXML="http://www.mic.gov.vn/TBT/QCVN_102_2016">');
      expect(xml).toContain('<edXML:BussinessDocType>0</edXML:BussinessDocType>');
      expect(xml).toMatch(/<AttachmentEncoded>\r\n\s+<Attachment>\r\n\s+<ContentId>cid:/);
    });

    it('keeps unknown elements of other namespaces through a round trip', async () => {
      const { xml } = documentPackage('000.00.00.G22', ['000.00.00.H41']);
      const extended = xml.replace(
        '</edXML:MessageHeader>',
        '<x:Tracking xmlns:x="urn:example:ext" id="7">hello</x:Tracking></edXML:MessageHeader>',
      );
      const r = accepted(await inspect(extended));
      if (r.kind !== 'edoc') throw new Error('expected a document');
      expect(r.model.extras).toEqual([
        { parent: 'MessageHeader', xml: '<x:Tracking xmlns:x="urn:example:ext" id="7">hello</x:Tracking>' },
      ]);
      const rewritten = writeEdocPackage({ ...r.model, attachments: [] });
      expect(rewritten).toContain('<x:Tracking xmlns:x="urn:example:ext" id="7">hello</x:Tracking>');
      expect((await inspect(rewritten)).ok).toBe(true);
    });

    it('writes status packages that the reader accepts', async () => {
      const xml = writeStatusPackage({
        from: { organId: '000.00.00.H41', organName: 'UBND tỉnh Nghệ An' },
        responseFor: {
          organId: '000.00.00.G22',
          documentId: '000.00.00.G22,2026/11/22,1/VPCP',
          code: '1/VPCP',
        },
        statusCode: '03',
        description: 'Đã vào sổ',
        timestamp: '2026/11/22 10:00:00',
      });
      const r = accepted(await inspect(xml, 'status'));
      expect(r.kind === 'status' && r.model.statusCode).toBe('03');
    });
  });

  describe('leniency', () => {
    it('reads Business as Bussiness, an unprefixed envelope and other prefixes for the same namespace', async () => {
      const { xml } = documentPackage('000.00.00.G22', ['000.00.00.H41']);
      const variant = xml
        .replace(/edXML:/g, 'q:')
        .replace('xmlns:edXML=', 'xmlns:q=')
        .replace(/xmlns:edXML=/g, 'xmlns:q=')
        .replace(/Bussiness/g, 'Business');
      const r = accepted(await inspect(variant));
      expect(r.kind === 'edoc' && r.model.business?.businessDocType).toBe(0);
    });

    it('reads a package whose edXML: prefix is used without a declaration (the SDK template), with a warning', async () => {
      const { xml } = documentPackage('000.00.00.G22', ['000.00.00.H41']);
      const unbound = xml.replace(/ xmlns:edXML="[^"]+"/g, '');
      const r = accepted(await inspect(unbound));
      expect(r.warnings.join()).toMatch(/prefix "edXML" was used without a declaration/);
    });

    it('detects a status package when no type is declared, and refuses a declared type that lies', async () => {
      const status = writeStatusPackage({
        from: { organId: '000.00.00.H41' },
        responseFor: { organId: '000.00.00.G22', documentId: 'x' },
        statusCode: '01',
      });
      expect(accepted(await inspect(status)).kind).toBe('status');
      const r = await inspect(status, 'edoc');
      expect(!r.ok && r.refusal.code).toBe('TYPE_MISMATCH');
    });
  });

  describe('hostile and broken input', () => {
    it.each([
      ['an external entity (XXE)', DOCTYPE_XXE, 'XML_DOCTYPE_FORBIDDEN'],
      ['a billion-laughs entity bomb', BILLION_LAUGHS, 'XML_DOCTYPE_FORBIDDEN'],
      [
        'nesting deeper than the limit',
        `<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016">${'<a>'.repeat(100)}${'</a>'.repeat(100)}</edXML>`,
        'XML_LIMIT_EXCEEDED',
      ],
      [
        'two root elements',
        '<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016"/><edXML/>',
        'XML_MALFORMED',
      ],
      [
        'invalid UTF-8',
        Buffer.concat([Buffer.from('<edXML>'), Buffer.from([0xc3, 0x28]), Buffer.from('</edXML>')]),
        'XML_MALFORMED',
      ],
      [
        'UTF-16',
        Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('<edXML/>', 'utf16le')]),
        'XML_MALFORMED',
      ],
      ['another encoding declared', '<?xml version="1.0" encoding="windows-1258"?><edXML/>', 'XML_MALFORMED'],
      ['a root that is not edXML', '<Envelope xmlns="http://www.go.vn/eDoc"/>', 'NOT_EDXML'],
      ['an edXML root in no namespace', '<edXML><edXMLEnvelope/></edXML>', 'NOT_EDXML'],
      ['empty input', '', 'XML_MALFORMED'],
    ])('refuses %s', async (_label, input, code) => {
      const r = await inspect(input);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.refusal.code).toBe(code);
    });

    it('refuses a package over the size cap before parsing it', async () => {
      const r = await inspect(
        documentPackage('000.00.00.G22', ['000.00.00.H41'], { attachmentBytes: 20_000 }).xml,
        null,
        { ...DEFAULT_XML_LIMITS, maxBytes: 10_000 },
      );
      expect(!r.ok && r.refusal.code).toBe('TOO_LARGE');
    });

    it('refuses too many attributes on one element', async () => {
      const attrs = Array.from({ length: 100 }, (_, i) => ` a${i}="1"`).join('');
      const r = await inspect(`<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016"${attrs}/>`);
      expect(!r.ok && r.refusal.code).toBe('XML_LIMIT_EXCEEDED');
    });

    it('names every cardinality problem: two From, no To, no DocumentId', async () => {
      const { xml } = documentPackage('000.00.00.G22', ['000.00.00.H41']);
      const broken = xml
        .replace(/<edXML:To>[\s\S]*?<\/edXML:To>/, '')
        .replace(/<edXML:DocumentId>[^<]*<\/edXML:DocumentId>/, '')
        .replace(/(<edXML:From>[\s\S]*?<\/edXML:From>)/, '$1$1');
      const r = await inspect(broken);
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.refusal.code).toBe('EDXML_INVALID');
      expect(r.refusal.details).toEqual(
        expect.arrayContaining([
          'MessageHeader has 2 From elements; exactly one is allowed',
          'MessageHeader has no To: a document needs at least one recipient',
          'MessageHeader/DocumentId is missing or empty',
        ]),
      );
    });

    it('refuses attachment content that is not base64', async () => {
      const { xml } = documentPackage('000.00.00.G22', ['000.00.00.H41']);
      const r = await inspect(
        xml.replace(/(<edXML:ContentTransferEncoded[^>]*>)[^<]+/, '$1${__StringFromFile(test.txt,,,)}'),
      );
      expect(!r.ok && r.refusal.code).toBe('XSD_INVALID');
    });
  });
});
