import { createPrivateKey, type KeyObject } from 'node:crypto';
import { loadLibxml2, safeParseOptions } from '../../modules/xml/libxml2';
import { XmlSigner } from '../../modules/trust/xmldsig/xml-signer';

export interface SigningTask {
  xml: Uint8Array | string;
  keyPem: string;
  /** Signer certificate first, then intermediates; DER base64. */
  certificates: string[];
}

const signer = loadLibxml2().then((lx) => new XmlSigner(lx, safeParseOptions(lx)));
const keys = new Map<string, KeyObject>();

export default async function sign(task: SigningTask): Promise<string> {
  let key = keys.get(task.keyPem);
  if (!key) {
    key = createPrivateKey(task.keyPem);
    keys.set(task.keyPem, key);
  }
  return (await signer).sign(task.xml, {
    privateKey: key,
    certificates: task.certificates.map((c) => Buffer.from(c, 'base64')),
  });
}
