import type * as Libxml2 from 'libxml2-wasm' with { 'resolution-mode': 'import' };

export type { Libxml2 };
export type XmlDocument = Libxml2.XmlDocument;
export type XmlElement = Libxml2.XmlElement;

let loaded: Promise<typeof Libxml2> | null = null;

/**
 * libxml2 compiled to WebAssembly: the C parser xmlsec1 uses, sandboxed (no file or network access
 * unless we register a provider). It is an ES module, so it is loaded with a real dynamic import —
 * which is why XML work runs in worker threads (see adapters/workers), never inside Jest's loader.
 */
export function loadLibxml2(): Promise<typeof Libxml2> {
  loaded ??= importEsm<typeof Libxml2>('libxml2-wasm');
  return loaded;
}

/**
 * A dynamic import that no transpiler rewrites into `require()` (swc and ts-jest do, and Node cannot
 * `require` an ES module that uses top-level await, as libxml2-wasm does).
 */
// eslint-disable-next-line @typescript-eslint/no-implied-eval -- a constant string, not user input
const importEsm = new Function('specifier', 'return import(specifier)') as <T>(
  specifier: string,
) => Promise<T>;

/**
 * Parse options for untrusted input. No entity substitution, no DTD loading, no external
 * entities, no catalogs (the prescan has already refused any DOCTYPE). HUGE lifts libxml2's
 * 10 MB text-node limit so a 37 MB base64 attachment parses; depth and element counts are bounded
 * by the prescan instead.
 */
export function safeParseOptions(lx: typeof Libxml2): number {
  const O = lx.ParseOption;
  return (
    O.XML_PARSE_NONET |
    O.XML_PARSE_NO_XXE |
    O.XML_PARSE_NO_SYS_CATALOG |
    O.XML_PARSE_HUGE |
    O.XML_PARSE_BIG_LINES
  );
}
