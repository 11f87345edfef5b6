import { certificateFacts, derFromPem, type CertificateFacts } from './certificate-facts';

/** PEM texts of the trust configuration: what crosses into worker threads. */
export interface TrustMaterial {
  /** The roots the bus trusts (the government's G1/G2 roots in production). */
  anchorsPem: string;
  /** Issuing CAs the bus may use to complete a path (signers often send only their leaf). */
  intermediatesPem: string;
}

/** Trust anchors and known intermediates, parsed. */
export class TrustStore {
  readonly anchors: CertificateFacts[];
  readonly intermediates: CertificateFacts[];

  constructor(material: TrustMaterial) {
    this.anchors = derFromPem(material.anchorsPem).map((d) => certificateFacts(d));
    this.intermediates = derFromPem(material.intermediatesPem).map((d) => certificateFacts(d));
  }

  get empty(): boolean {
    return this.anchors.length === 0;
  }
}
