import 'reflect-metadata';
import { DOMParser } from '@xmldom/xmldom';
import { spawnSync } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignedXml } from 'xml-crypto';
import { privateKeyPem, TestPki } from '../pki/test-pki';
import { InspectionPool } from '../../src/adapters/workers/inspection-pool';
import { sampleDocument } from '../../src/adapters/cli/sample-documents';
import { EdxmlInspector } from '../../src/modules/edoc/inspection/edxml-inspector';
import { loadLibxml2, safeParseOptions } from '../../src/modules/xml/libxml2';
import { DEFAULT_XML_LIMITS } from '../../src/modules/xml/prescan';
import { ChainValidator } from '../../src/modules/trust/pki/chain-validator';
import { TrustStore } from '../../src/modules/trust/pki/trust-store';
import { XmlSignatureVerifier } from '../../src/modules/trust/xmldsig/xml-signature-verifier';
import { XmlSigner } from '../../src/modules/trust/xmldsig/xml-signer';
import { PROJECT_ROOT } from './project-root';

export interface RateFigure {
  name: string;
  perSecond: number[];
  median: number;
  note: string;
}

/**
 * Verifications per second per core on one corpus: signed ~20 KB edXML packages (RSA-2048 signer
 * under an issuing CA under a root, exclusive C14N, SHA-256), through
 * - the bus's signature check (libxml2 parse, profile checks, certificate path — cached per
 *   certificate, as in the bus — C14N, digest, RSA verify), and the bus's whole inspection;
 * - xml-crypto (parse, signature with the known key, certificate chain with node:crypto);
 * - libxmlsec1 through python3-xmlsec, when installed (parse, verify, chain).
 */
export async function verificationBench(
  outDir: string,
  seconds: number,
  runs: number,
): Promise<RateFigure[]> {
  const corpusDir = join(outDir, 'verify-corpus');
  rmSync(corpusDir, { recursive: true, force: true });
  mkdirSync(corpusDir, { recursive: true });
  const pki = await TestPki.create('http://127.0.0.1:1');
  const signer = await pki.issueEndpoint('000.00.00.G22', 'Văn phòng Chính phủ');
  const lx = await loadLibxml2();
  const options = safeParseOptions(lx);
  const xmlSigner = new XmlSigner(lx, options);
  const identity = {
    privateKey: createPrivateKey(await privateKeyPem(signer.keys.privateKey)),
    certificates: [new Uint8Array(signer.certificate.rawData)],
  };
  const docs: Buffer[] = [];
  for (let i = 0; i < 200; i++) {
    const { xml } = sampleDocument({
      from: { organId: '000.00.00.G22', name: 'Văn phòng Chính phủ' },
      to: ['000.00.00.H41', '000.00.00.H49', '000.00.00.H56'].map((organId) => ({ organId, name: organId })),
      number: 5000 + i,
      attachmentBytes: 10_500,
    });
    const signed = Buffer.from(xmlSigner.sign(xml, identity));
    docs.push(signed);
    writeFileSync(join(corpusDir, `doc-${String(i).padStart(3, '0')}.xml`), signed);
  }
  writeFileSync(join(corpusDir, 'root.pem'), pki.trustAnchorsPem());
  writeFileSync(join(corpusDir, 'inter-state.pem'), pki.state.certificate.toString('pem'));
  writeFileSync(join(corpusDir, 'inter-party.pem'), pki.party.certificate.toString('pem'));
  const trust = { anchorsPem: pki.trustAnchorsPem(), intermediatesPem: pki.intermediatesPem() };
  const averageKb = docs.reduce((s, d) => s + d.length, 0) / docs.length / 1024;

  const verifier = new XmlSignatureVerifier(lx, new ChainValidator(new TrustStore(trust)), options);
  const inspector = await EdxmlInspector.create(trust);
  const now = new Date();
  const figures: RateFigure[] = [];

  figures.push(
    await measure(
      `edoc-bus signature check (1 thread), ${averageKb.toFixed(1)} KB`,
      seconds,
      runs,
      async (i) => {
        const doc = lx.XmlDocument.fromBuffer(docs[i % docs.length]!, { option: options });
        try {
          const r = await verifier.verify(doc, now);
          if (r.status !== 'verified') throw new Error(`not verified: ${JSON.stringify(r)}`);
        } finally {
          doc.dispose();
        }
      },
      'libxml2 parse + profile + path (cached) + C14N + SHA-256 + RSA',
    ),
  );
  figures.push(
    await measure(
      'edoc-bus whole inspection (1 thread)',
      seconds,
      runs,
      async (i) => {
        const r = await inspector.inspect({
          bytes: docs[i % docs.length]!,
          declaredKind: 'edoc',
          limits: DEFAULT_XML_LIMITS,
        });
        if (!r.ok) throw new Error(r.refusal.code);
      },
      'prescan + parse + XSD + signature + typed model',
    ),
  );

  const pool = new InspectionPool(2, trust);
  try {
    figures.push(
      await measure(
        'edoc-bus whole inspection, 2 worker threads',
        seconds,
        runs,
        async (i) => {
          const r = await pool.inspect({
            bytes: docs[i % docs.length]!,
            declaredKind: 'edoc',
            limits: DEFAULT_XML_LIMITS,
          });
          if (!r.ok) throw new Error(r.refusal.code);
        },
        'the bus as deployed: the whole machine',
        16,
      ),
    );
  } finally {
    await pool.close();
  }

  const certPem = signer.certificate.toString('pem');
  const leaf = new X509Certificate(certPem);
  const state = new X509Certificate(pki.state.certificate.toString('pem'));
  const root = new X509Certificate(pki.trustAnchorsPem());
  const strings = docs.map((d) => d.toString('utf8'));
  figures.push(
    await measure(
      'xml-crypto 6 full check (1 thread)',
      seconds,
      runs,
      async (i) => {
        const xml = strings[i % strings.length]!;
        const doc = new DOMParser().parseFromString(xml, 'text/xml');
        const node = doc.getElementsByTagNameNS('http://www.w3.org/2000/09/xmldsig#', 'Signature')[0]!;
        if (!(leaf.verify(state.publicKey) && state.verify(root.publicKey))) throw new Error('chain');
        const sig = new SignedXml({ publicCert: certPem, getCertFromKeyInfo: () => null });
        sig.loadSignature(node);
        if (!sig.checkSignature(xml)) throw new Error('xml-crypto: invalid');
      },
      'xmldom parse + node:crypto chain + checkSignature',
    ),
  );

  const python = spawnSync('/usr/bin/python3', ['-c', 'import xmlsec'], { stdio: 'ignore' });
  if (python.status === 0) {
    const rates: number[] = [];
    for (let r = 0; r < runs; r++) {
      const out = spawnSync(
        '/usr/bin/python3',
        [join(PROJECT_ROOT, 'scripts', 'bench', 'xmlsec-verify.py'), corpusDir, String(seconds)],
        {
          encoding: 'utf8',
        },
      );
      if (out.status !== 0) throw new Error(`xmlsec1 benchmark failed: ${out.stderr}`);
      rates.push((JSON.parse(out.stdout) as { rate: number }).rate);
    }
    figures.push({
      name: 'libxmlsec1 via python3-xmlsec (1 process)',
      perSecond: rates,
      median: median(rates),
      note: 'lxml parse + verify incl. chain',
    });
  } else {
    figures.push({
      name: 'libxmlsec1 (python3-xmlsec not installed: apt-get install python3-xmlsec)',
      perSecond: [],
      median: NaN,
      note: '',
    });
  }
  return figures;
}

async function measure(
  name: string,
  seconds: number,
  runs: number,
  once: (i: number) => Promise<void>,
  note: string,
  concurrency = 1,
): Promise<RateFigure> {
  for (let i = 0; i < 200; i++) await once(i); // warm-up: JIT, caches
  const rates: number[] = [];
  for (let r = 0; r < runs; r++) {
    let n = 0;
    const start = performance.now();
    const end = start + seconds * 1000;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < end) await once(n++);
      }),
    );
    rates.push(n / ((performance.now() - start) / 1000));
  }
  return { name, perSecond: rates, median: median(rates), note };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length === 0
    ? NaN
    : s.length % 2
      ? s[(s.length - 1) / 2]!
      : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}
