import { createHash } from 'node:crypto';
import { bufferView, packageBuffer } from '../../shared/bytes';
import { isSpooled, type ByteRanges, type SpooledPackage } from '../../shared/package-body';
import { refusal, type Refusal } from '../../shared/reasons';
import type { EdocPackage } from '../domain/edoc-package';
import { EDXML_NS, XLINK_NS, XMLDSIG_NS } from '../../xml/namespaces';
import type { StatusPackage } from '../domain/status-package';
import { PdfSignatureChecker, type PdfSignatureFinding } from '../../trust/pdf/pdf-signatures';
import { ChainValidator } from '../../trust/pki/chain-validator';
import { TrustStore, type TrustMaterial } from '../../trust/pki/trust-store';
import { XmlSignatureVerifier } from '../../trust/xmldsig/xml-signature-verifier';
import { readEdocPackage } from '../reading/read-edoc-package';
import { readStatusPackage } from '../reading/read-status-package';
import { formatSchemaProblems, SchemaValidator } from '../validation/schema-validator';
import { DetachedTexts } from '../../xml/detached-texts';
import { Dom } from '../xml/dom';
import { loadLibxml2, safeParseOptions, type Libxml2, type XmlDocument } from '../../xml/libxml2';
import { isRefusal, LARGE_TEXT_BYTES, prescanXml } from '../../xml/prescan';
import type {
  InspectionFacts,
  InspectionRequest,
  InspectionResult,
  PackageKind,
  RefusedInspection,
} from './package-inspection.port';

/** Opens a spooled package for ranged reads; closed when its inspection ends. */
export type OpenSpooled = (spooled: SpooledPackage) => ByteRanges & { close(): void };

const cannotOpen: OpenSpooled = () => {
  throw new Error('this inspector was given no way to read spooled packages');
};

/** Every PDF signature dictionary has one (see trust/pdf/pdf-signatures.ts). */
const PDF_SIGNATURE_MARK = Buffer.from('/ByteRange');

/** Prefixes seen unbound in real packages (the SDK template) and what they always mean. */
const WELL_KNOWN_PREFIXES: Record<string, string> = {
  edXML: EDXML_NS,
  xlink: XLINK_NS,
  ds: XMLDSIG_NS,
  dsig: XMLDSIG_NS,
};

/**
 * The whole CPU-bound check of a package, in the order that keeps hostile input cheap: byte
 * prescan (size, DOCTYPE, depth, counts) → libxml2 parse → kind → XSD → signature (structure,
 * algorithms, certificate path, cryptography) → typed model → QCVN 102 cardinalities.
 * It runs inside worker threads; revocation and policy are decided on the main thread.
 */
export class EdxmlInspector {
  private readonly dom: Dom;
  private readonly parseOptions: number;

  private readonly signatures: XmlSignatureVerifier;
  private readonly pdfs: PdfSignatureChecker;

  private constructor(
    private readonly lx: typeof Libxml2,
    private readonly schemas: SchemaValidator,
    trust: TrustMaterial,
    private readonly openSpooled: OpenSpooled,
  ) {
    this.dom = new Dom(lx);
    this.parseOptions = safeParseOptions(lx);
    const chains = new ChainValidator(new TrustStore(trust));
    this.signatures = new XmlSignatureVerifier(lx, chains, this.parseOptions);
    this.pdfs = new PdfSignatureChecker(chains);
  }

  /** `openSpooled`: how this thread reads a spool file (the worker gives it; tests may not need it). */
  static async create(trust: TrustMaterial, openSpooled: OpenSpooled = cannotOpen): Promise<EdxmlInspector> {
    const lx = await loadLibxml2();
    return new EdxmlInspector(lx, new SchemaValidator(lx), trust, openSpooled);
  }

  async inspect(request: InspectionRequest): Promise<InspectionResult> {
    const body = request.bytes;
    if (!isSpooled(body)) return this.inspectInMemory(request, bufferView(body));
    const source = this.openSpooled(body);
    try {
      return await this.inspectSpooled(request, source);
    } finally {
      source.close();
    }
  }

  private async inspectInMemory(request: InspectionRequest, bytes: Buffer): Promise<InspectionResult> {
    const facts = { sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.length };
    const scan = prescanXml(bytes, request.limits);
    if (isRefusal(scan)) return refused(facts, scan);

    // Large attachments are parsed as tokens and read from `bytes` when needed: the parser's
    // (WebAssembly, never shrinking) memory then stays near the size of the header, not the package.
    const detached = DetachedTexts.detach(bytes, scan.largeTexts);
    return this.inspectDetached(request, facts, detached.bytes, detached.texts);
  }

  /**
   * A spooled package is read a megabyte at a time: its long base64 runs stay in the file and the
   * rest (the header, the signature, small attachments) is all that is held. Where a run turns out
   * not to be a whole attachment text (only a hand-made package does that), the package is read
   * whole and takes the ordinary path, so both paths decide alike.
   */
  private async inspectSpooled(request: InspectionRequest, source: ByteRanges): Promise<InspectionResult> {
    const hash = createHash('sha256');
    for (const piece of source.pieces(0, source.length)) hash.update(piece);
    const facts = { sha256: hash.digest('hex'), size: source.length };
    if (source.length > request.limits.maxBytes) {
      return refused(
        facts,
        refusal('TOO_LARGE', `${source.length} bytes > limit ${request.limits.maxBytes}`),
      );
    }
    const detached = DetachedTexts.detachRuns(source, LARGE_TEXT_BYTES);
    // Every non-empty attachment text of the skeleton, to find each token in one.
    const scan = prescanXml(detached.bytes, request.limits, 1);
    if (isRefusal(scan)) return refused(facts, scan);
    const attachmentTexts = new Set(scan.largeTexts.map((t) => `${t.start}:${t.end}`));
    if (detached.tokens.every((t) => attachmentTexts.has(`${t.start}:${t.end}`))) {
      return this.inspectDetached(request, facts, detached.bytes, detached.texts);
    }
    const whole = packageBuffer(source.length);
    let at = 0;
    for (const piece of source.pieces(0, source.length)) at += piece.copy(whole, at);
    return this.inspectInMemory(request, whole);
  }

  /** Everything after the prescan: parse, kind, XSD, signature, model (`bytes` with tokens in place of `texts`). */
  private async inspectDetached(
    request: InspectionRequest,
    facts: InspectionFacts,
    bytes: Buffer,
    texts: DetachedTexts,
  ): Promise<InspectionResult> {
    const refuse = (
      r: Refusal,
      kind: PackageKind | null = null,
      claimedSender: string | null = null,
      documentId: string | null = null,
    ): RefusedInspection => refused(facts, r, kind, claimedSender, documentId);
    const dom = this.dom.withDetached(texts);

    const parsed = this.parse(bytes);
    if ('refusal' in parsed) return refuse(parsed.refusal);
    const { doc, warnings } = parsed;
    try {
      const root = doc.root;
      if (root.name !== 'edXML' || root.namespaceUri !== EDXML_NS) {
        return refuse(
          refusal(
            'NOT_EDXML',
            `root element is {${root.namespaceUri}}${root.name}, expected {${EDXML_NS}}edXML`,
          ),
        );
      }
      const detected = this.detectKind(doc);
      const kind = request.declaredKind ?? detected;
      if (request.declaredKind && request.declaredKind !== detected) {
        return refuse(
          refusal(
            'TYPE_MISMATCH',
            `declared "${request.declaredKind}" but the content is a ${detected} package`,
          ),
          detected,
        );
      }

      const schemaProblems = this.schemas.validate(doc, kind);
      if (schemaProblems.length > 0) {
        return refuse(
          refusal('XSD_INVALID', ...formatSchemaProblems(schemaProblems)),
          kind,
          this.claimedSender(doc),
        );
      }

      // The signature is checked before the model is read: a package changed after signing is
      // SIG_INVALID, whatever else is wrong with it. (This removes the Signature from `doc`.)
      const signature = await this.signatures.verify(doc, new Date(), texts);
      if (signature.status === 'refused') return refuse(signature.refusal, kind, this.claimedSender(doc));

      const read =
        kind === 'edoc'
          ? readEdocPackage(dom, root, { includeAttachmentContent: request.includeAttachmentContent })
          : readStatusPackage(dom, root);
      if (typeof read === 'string')
        return refuse(refusal('EDXML_INVALID', read), kind, this.claimedSender(doc));
      if (read.problems.length > 0) {
        return refuse(
          refusal('EDXML_INVALID', ...read.problems),
          kind,
          this.claimedSender(doc),
          documentIdOf(read.model),
        );
      }
      const all = [...warnings, ...read.warnings];
      return read.model.kind === 'edoc'
        ? {
            ...facts,
            ok: true,
            kind: 'edoc',
            model: read.model,
            signature,
            pdfSignatures: await this.pdfSignatures(dom, doc, request),
            warnings: all,
          }
        : { ...facts, ok: true, kind: 'status', model: read.model, signature, warnings: all };
    } finally {
      doc.dispose();
    }
  }

  private parse(bytes: Uint8Array): { doc: XmlDocument; warnings: string[] } | { refusal: Refusal } {
    try {
      return { doc: this.lx.XmlDocument.fromBuffer(bytes, { option: this.parseOptions }), warnings: [] };
    } catch (error) {
      if (!(error instanceof this.lx.XmlParseError)) throw error;
      const unbound = unboundPrefixes(error.details);
      const repaired = unbound ? declarePrefixesOnRoot(bytes, unbound) : null;
      if (repaired) {
        try {
          const doc = this.lx.XmlDocument.fromBuffer(repaired, { option: this.parseOptions });
          return {
            doc,
            warnings: unbound!.map(
              (p) =>
                `namespace prefix "${p}" was used without a declaration; read as ${WELL_KNOWN_PREFIXES[p]}`,
            ),
          };
        } catch {
          // fall through: report the original error
        }
      }
      const details = error.details
        .slice(0, 5)
        .map((d) => `line ${d.line}, column ${d.col}: ${d.message.trim()}`);
      return { refusal: refusal('XML_MALFORMED', ...details) };
    }
  }

  /** Signatures inside PDF attachments (or PDFs inside zipped attachments). */
  private async pdfSignatures(
    dom: Dom,
    doc: XmlDocument,
    request: InspectionRequest,
  ): Promise<PdfSignatureFinding[]> {
    const encoded = dom.child(doc.root, 'AttachmentEncoded');
    if (!encoded) return [];
    const findings: PdfSignatureFinding[] = [];
    for (const attachment of dom.children(encoded)) {
      const encodedEl = dom.child(attachment, 'ContentTransferEncoded');
      const detached = encodedEl && dom.detached(encodedEl);
      const content = detached ? '' : (encodedEl?.content ?? '');
      const head = detached ? detached.decodedHead(12) : Buffer.from(content.slice(0, 16), 'base64');
      const isPdf = head.subarray(0, 5).toString('latin1') === '%PDF-';
      const isZip = head.length >= 4 && head.readUInt32LE(0) === 0x04034b50;
      if (!isPdf && !isZip) continue;
      // A large PDF with no signature dictionary has nothing to check: it is not decoded whole.
      if (detached && isPdf && !detached.decodedIncludes(PDF_SIGNATURE_MARK)) continue;
      const name =
        dom.text(dom.child(attachment, 'AttachmentName')) ??
        dom.text(dom.child(attachment, 'ContentId')) ??
        '?';
      const file = detached ? detached.decode() : Buffer.from(content, 'base64');
      findings.push(...(await this.pdfs.check(name, file, new Date(), request.limits.maxBytes)));
    }
    return findings;
  }

  /** A status package is the one whose MessageHeader carries a StatusCode. */
  private detectKind(doc: XmlDocument): PackageKind {
    const envelope = this.dom.child(doc.root, 'edXMLEnvelope');
    const header = envelope && this.dom.child(envelope, 'edXMLHeader');
    const messageHeader = header && this.dom.child(header, 'MessageHeader');
    return messageHeader && this.dom.child(messageHeader, 'StatusCode') ? 'status' : 'edoc';
  }

  private claimedSender(doc: XmlDocument): string | null {
    const envelope = this.dom.child(doc.root, 'edXMLEnvelope');
    const header = envelope && this.dom.child(envelope, 'edXMLHeader');
    const messageHeader = header && this.dom.child(header, 'MessageHeader');
    const from = messageHeader && this.dom.child(messageHeader, 'From');
    const organId = from && this.dom.text(this.dom.child(from, 'OrganId'));
    return organId ? organId.slice(0, 64) : null;
  }
}

function refused(
  facts: InspectionFacts,
  r: Refusal,
  kind: PackageKind | null = null,
  claimedSender: string | null = null,
  documentId: string | null = null,
): RefusedInspection {
  return { ...facts, ok: false, refusal: r, kind, claimedSender, documentId };
}

function documentIdOf(model: EdocPackage | StatusPackage): string | null {
  return model.kind === 'edoc' ? model.header.documentId || null : (model.responseFor.documentId ?? null);
}

/** The prefixes libxml2 found unbound, when that is the only kind of error and all are well known. */
function unboundPrefixes(details: ReadonlyArray<{ message: string }>): string[] | null {
  const prefixes = new Set<string>();
  for (const d of details) {
    const m = /^Namespace prefix (\S+) (?:on|for) \S+ (?:on \S+ )?is not defined/.exec(d.message.trim());
    if (!m || !(m[1]! in WELL_KNOWN_PREFIXES)) return null;
    prefixes.add(m[1]!);
  }
  return prefixes.size > 0 ? [...prefixes] : null;
}

/** Inserts `xmlns:p="…"` into the root start tag (after any XML declaration, comments and PIs). */
function declarePrefixesOnRoot(bytes: Uint8Array, prefixes: string[]): Uint8Array | null {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8');
  const rootStart = /<[A-Za-z_]/.exec(
    text.replace(/<!--[\s\S]*?-->|<\?[\s\S]*?\?>/g, (m) => ' '.repeat(m.length)),
  );
  if (!rootStart) return null;
  const nameEnd = text.slice(rootStart.index).search(/[\s/>]/);
  if (nameEnd < 0) return null;
  const at = rootStart.index + nameEnd;
  const decls = prefixes.map((p) => ` xmlns:${p}="${WELL_KNOWN_PREFIXES[p]}"`).join('');
  return Buffer.from(text.slice(0, at) + decls + text.slice(at), 'utf8');
}
