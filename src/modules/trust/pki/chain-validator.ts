import * as asn1js from 'asn1js';
import { webcrypto } from 'node:crypto';
import * as pkijs from 'pkijs';
import { refusal, type Refusal } from '../../shared/reasons';
import { certificateFacts, type CertificateFacts } from './certificate-facts';
import type { TrustStore } from './trust-store';

pkijs.setEngine(
  'node-webcrypto',
  new pkijs.CryptoEngine({
    name: 'node-webcrypto',
    crypto: webcrypto,
  }),
);

export interface ValidatedChain {
  signer: CertificateFacts;
  /** Signer first, up to (excluding) the trust anchor: the certificates whose revocation matters. */
  path: CertificateFacts[];
  anchor: CertificateFacts;
}

const CACHE_MS = 10 * 60_000;

/**
 * Builds and checks a signer's certificate path to a configured root with pkijs (signatures, names,
 * basic constraints, dates), after checking what pkijs does not: that the signer's certificate may
 * sign documents and is in its validity period. Results are cached per set of certificates until
 * the earliest expiry in the path (at most 10 minutes), so the hot path pays for a chain once.
 * Revocation is not checked here: that needs the network and happens on the main thread.
 */
export class ChainValidator {
  private readonly cache = new Map<string, { until: number; result: ValidatedChain | Refusal }>();
  private readonly trusted: pkijs.Certificate[];
  private readonly known: pkijs.Certificate[];

  constructor(private readonly store: TrustStore) {
    this.trusted = store.anchors.map((f) => toPkijs(f.der));
    this.known = store.intermediates.map((f) => toPkijs(f.der));
  }

  /** `offered` are the certificates from KeyInfo (or a CMS signature), DER base64. */
  async validate(offered: string[], now: Date): Promise<ValidatedChain | Refusal> {
    const key = offered.join('|');
    const hit = this.cache.get(key);
    if (hit && hit.until > now.getTime()) return hit.result;
    const result = await this.compute(offered, now);
    const path = 'path' in result ? result.path : [];
    const until = Math.min(now.getTime() + CACHE_MS, ...path.map((c) => Date.parse(c.notAfter)));
    if (this.cache.size > 5000) this.cache.clear();
    this.cache.set(key, { until, result });
    return result;
  }

  private async compute(offered: string[], now: Date): Promise<ValidatedChain | Refusal> {
    if (this.store.empty) return refusal('CERT_UNTRUSTED', 'the bus has no trust anchors configured');
    let facts: CertificateFacts[];
    try {
      facts = offered.map((der) => certificateFacts(der));
    } catch (error) {
      return refusal(
        'CERT_UNTRUSTED',
        `unreadable certificate: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    const signer = pickSigner(facts);
    if (!signer)
      return refusal('CERT_UNTRUSTED', 'no single signing certificate among the certificates offered');
    if (now < new Date(signer.notBefore))
      return refusal('CERT_NOT_YET_VALID', `${signer.subject} is valid from ${signer.notBefore}`);
    if (now > new Date(signer.notAfter))
      return refusal('CERT_EXPIRED', `${signer.subject} expired on ${signer.notAfter}`);
    if (signer.isCa || !signer.canSign) {
      return refusal(
        'CERT_KEY_USAGE',
        `${signer.subject} is not allowed to sign documents (key usage / basic constraints)`,
      );
    }

    // pkijs validates the LAST certificate of `certs`: the signer goes last.
    const others = facts.filter((f) => f !== signer).map((f) => toPkijs(f.der));
    const engine = new pkijs.CertificateChainValidationEngine({
      trustedCerts: this.trusted,
      certs: [...this.known, ...others, toPkijs(signer.der)],
      checkDate: now,
    });
    const verdict = await engine.verify();
    if (!verdict.result || !verdict.certificatePath) {
      const message = verdict.resultMessage ?? 'no path to a trusted root';
      const dated = /expired|not yet valid|validity/i.test(message);
      return refusal(dated ? 'CERT_EXPIRED' : 'CERT_UNTRUSTED', `${signer.subject}: ${message}`);
    }
    let path = verdict.certificatePath.map((c) =>
      certificateFacts(new Uint8Array(c.toSchema().toBER(false))),
    );
    if (path[0]?.fingerprint !== signer.fingerprint) path = path.reverse();
    if (path[0]?.fingerprint !== signer.fingerprint)
      return refusal('CERT_UNTRUSTED', `${signer.subject}: unexpected certificate path`);
    const anchor = path[path.length - 1]!;
    if (!this.store.anchors.some((a) => a.fingerprint === anchor.fingerprint)) {
      return refusal('CERT_UNTRUSTED', `${signer.subject} does not lead to a configured root`);
    }
    return { signer: path[0], path: path.slice(0, -1), anchor };
  }
}

/** The end-entity certificate: the only one that is not the issuer of another offered certificate. */
function pickSigner(facts: CertificateFacts[]): CertificateFacts | undefined {
  const candidates = facts.filter(
    (f) => !facts.some((o) => o !== f && o.issuer === f.subject && o.fingerprint !== f.fingerprint),
  );
  return candidates.length === 1 ? candidates[0] : facts.length === 1 ? facts[0] : undefined;
}

function toPkijs(derBase64: string): pkijs.Certificate {
  const bytes = Buffer.from(derBase64, 'base64');
  const asn = asn1js.fromBER(new Uint8Array(bytes).buffer);
  return new pkijs.Certificate({ schema: asn.result });
}
