import { DEFAULT_XML_LIMITS, isRefusal, prescanXml } from './prescan';

const scan = (xml: string, limits = DEFAULT_XML_LIMITS) => prescanXml(Buffer.from(xml), limits);

describe('the byte prescan', () => {
  it('counts elements and depth without being fooled by comments, CDATA, PIs or quoted >', () => {
    const r = scan(
      '<?xml version="1.0"?><!-- <a><b> --><r x="a>b" y=\'<\'><![CDATA[<c><d>]]><?pi <e>?><s/><t><u/></t></r>',
    );
    expect(r).toEqual({ elements: 4, maxDepth: 2, largeTexts: [] });
  });

  it.each([
    ['<!DOCTYPE r><r/>', 'XML_DOCTYPE_FORBIDDEN'],
    ['<r><!ENTITY x "y"></r>', 'XML_DOCTYPE_FORBIDDEN'],
    ['<?xml version="1.0" encoding="ISO-8859-1"?><r/>', 'XML_MALFORMED'],
  ])('refuses %s', (xml, code) => {
    const r = scan(xml);
    expect(isRefusal(r) && r.code).toBe(code);
  });

  it('enforces each limit', () => {
    const limits = { maxBytes: 1000, maxDepth: 3, maxElements: 5, maxAttributesPerElement: 2 };
    const refusalOf = (xml: string) => {
      const r = scan(xml, limits);
      return isRefusal(r) ? r.code : 'ok';
    };
    expect(refusalOf('<a><b><c/></b></a>')).toBe('ok');
    expect(refusalOf('<a><b><c><d></d></c></b></a>')).toBe('XML_LIMIT_EXCEEDED');
    expect(refusalOf('<a><b/><b/><b/><b/><b/></a>')).toBe('XML_LIMIT_EXCEEDED');
    expect(refusalOf('<a x="1" y="2" z="3"/>')).toBe('XML_LIMIT_EXCEEDED');
    expect(refusalOf(`<a>${'x'.repeat(2000)}</a>`)).toBe('TOO_LARGE');
  });

  it('scans a 30 MB attachment-sized text node in one pass', () => {
    const big = `<r>${'A'.repeat(30 * 1024 * 1024)}</r>`;
    const started = performance.now();
    expect(scan(big, { ...DEFAULT_XML_LIMITS, maxBytes: 64 * 1024 * 1024 })).toEqual({
      elements: 1,
      maxDepth: 1,
      largeTexts: [],
    });
    // no timing assertion: speed is measured in the benchmark, this only proves it terminates
    expect(performance.now() - started).toBeGreaterThan(0);
  });

  describe('large attachment texts', () => {
    const big = 'QUJD'.repeat(64);
    const rangesOf = (xml: string) => {
      const r = prescanXml(Buffer.from(xml), DEFAULT_XML_LIMITS, 200);
      if (isRefusal(r)) throw new Error(r.code);
      return r.largeTexts.map(({ start, end }) => xml.slice(start, end));
    };

    it('finds the text of a ContentTransferEncoded element, with or without a prefix', () => {
      expect(
        rangesOf(
          `<r><edXML:ContentTransferEncoded xmlns:edXML="u">${big}</edXML:ContentTransferEncoded>` +
            `<ContentTransferEncoded a="x>y">\n${big}\n</ContentTransferEncoded></r>`,
        ),
      ).toEqual([big, `\n${big}\n`]);
    });

    it('ignores small texts, other elements, mixed content and texts inside comments or CDATA', () => {
      expect(
        rangesOf(
          `<r><ContentTransferEncoded>QUJD</ContentTransferEncoded>` +
            `<Description>${big}</Description><XContentTransferEncoded>${big}</XContentTransferEncoded>` +
            `<ContentTransferEncoded>${big}<!-- c --></ContentTransferEncoded>` +
            `<!-- <ContentTransferEncoded>${big}</ContentTransferEncoded> -->` +
            `<ContentTransferEncoded><![CDATA[${big}]]></ContentTransferEncoded></r>`,
        ),
      ).toEqual([]);
    });

    it('still counts the elements after a detached text', () => {
      const r = prescanXml(
        Buffer.from(`<r><ContentTransferEncoded>${big}</ContentTransferEncoded><a/><b><c/></b></r>`),
        DEFAULT_XML_LIMITS,
        200,
      );
      expect(isRefusal(r) ? r.code : { elements: r.elements, maxDepth: r.maxDepth }).toEqual({
        elements: 5,
        maxDepth: 2,
      });
    });
  });
});
