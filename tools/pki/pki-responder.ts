import * as x509 from '@peculiar/x509';
import * as asn1js from 'asn1js';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as pkijs from 'pkijs';
import '../../src/modules/trust/pki/chain-validator'; // pkijs crypto engine
import { toPkijsCertificate } from '../../src/modules/trust/revocation/ocsp';
import type { CaName, TestPki } from './test-pki';

const MAX_REQUEST_BYTES = 64 * 1024;

/**
 * The test PKI's online services, for development and tests: CRLs (`GET /crl/<ca>.crl`), OCSP
 * (`POST /ocsp/<ca>`) and CA certificates (`GET /ca/<ca>.crt`), all signed fresh on request with
 * a configurable validity. `edoc-bus pki serve` runs it; tests start it in-process and can take it
 * down to exercise the revocation grace period.
 */
export class PkiResponder {
  private server: Server | null = null;
  requests = 0;

  constructor(
    private pki: TestPki | null,
    /** How long an answer stays fresh (nextUpdate − thisUpdate). */
    public validitySeconds = 3600,
  ) {}

  /** The PKI to answer for (a PKI's URLs name the responder's port, so it may come after `listen`). */
  attach(pki: TestPki): void {
    this.pki = pki;
  }

  private get current(): TestPki {
    if (!this.pki) throw new Error('no PKI attached');
    return this.pki;
  }

  async listen(port: number, host = '127.0.0.1'): Promise<number> {
    const server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    return (server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  revoke(ca: CaName, serialHex: string): void {
    const list = (this.current.manifest.revoked[ca] ??= []);
    if (!list.includes(serialHex.toLowerCase())) list.push(serialHex.toLowerCase());
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requests++;
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const [, kind, name] = url.pathname.split('/');
      const caName = (name ?? '').replace(/\.(crl|crt)$/, '') as CaName;
      if (!['root', 'state', 'party', 'foreign'].includes(caName))
        return this.send(res, 404, 'text/plain', Buffer.from('unknown CA'));
      if (req.method === 'GET' && kind === 'crl')
        return this.send(res, 200, 'application/pkix-crl', await this.crl(caName));
      if (req.method === 'GET' && kind === 'ca')
        return this.send(
          res,
          200,
          'application/pkix-cert',
          Buffer.from(this.current.caByName(caName).certificate.rawData),
        );
      if (req.method === 'POST' && kind === 'ocsp')
        return this.send(res, 200, 'application/ocsp-response', await this.ocsp(caName, await body(req)));
      this.send(res, 404, 'text/plain', Buffer.from('not found'));
    } catch (error) {
      this.send(res, 500, 'text/plain', Buffer.from(error instanceof Error ? error.message : String(error)));
    }
  }

  private async crl(caName: CaName): Promise<Buffer> {
    const ca = this.current.caByName(caName);
    const now = Date.now();
    const crl = await x509.X509CrlGenerator.create({
      issuer: ca.certificate.subjectName,
      thisUpdate: new Date(now - 60_000),
      nextUpdate: new Date(now + this.validitySeconds * 1000),
      entries: (this.current.manifest.revoked[caName] ?? []).map((serialNumber) => ({
        serialNumber,
        revocationDate: new Date(now - 3600_000),
      })),
      signingKey: ca.keys.privateKey,
      signingAlgorithm: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    });
    return Buffer.from(crl.rawData);
  }

  private async ocsp(caName: CaName, requestBytes: Buffer): Promise<Buffer> {
    const ca = this.current.caByName(caName);
    const caCert = toPkijsCertificate(Buffer.from(ca.certificate.rawData));
    const request = new pkijs.OCSPRequest({
      schema: asn1js.fromBER(new Uint8Array(requestBytes).buffer).result,
    });
    const now = Date.now();
    const basic = new pkijs.BasicOCSPResponse();
    basic.tbsResponseData.responderID = caCert.subject;
    basic.tbsResponseData.producedAt = new Date(now);
    for (const item of request.tbsRequest.requestList) {
      const serial = Buffer.from(item.reqCert.serialNumber.valueBlock.valueHexView)
        .toString('hex')
        .replace(/^00/, '');
      const revoked = (this.current.manifest.revoked[caName] ?? []).includes(serial.toLowerCase());
      basic.tbsResponseData.responses.push(
        new pkijs.SingleResponse({
          certID: item.reqCert,
          certStatus: revoked
            ? new asn1js.Constructed({
                idBlock: { tagClass: 3, tagNumber: 1 },
                value: [new asn1js.GeneralizedTime({ valueDate: new Date(now - 3600_000) })],
              })
            : new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 0 } }),
          thisUpdate: new Date(now - 60_000),
          nextUpdate: new Date(now + this.validitySeconds * 1000),
        }),
      );
    }
    basic.certs = [caCert];
    await basic.sign(ca.keys.privateKey, 'SHA-256');
    const response = new pkijs.OCSPResponse({
      responseStatus: new asn1js.Enumerated({ value: 0 }),
      responseBytes: new pkijs.ResponseBytes({
        responseType: '1.3.6.1.5.5.7.48.1.1',
        response: new asn1js.OctetString({ valueHex: basic.toSchema().toBER(false) }),
      }),
    });
    return Buffer.from(response.toSchema().toBER(false));
  }

  private send(res: ServerResponse, status: number, type: string, payload: Buffer): void {
    res.writeHead(status, { 'content-type': type, 'content-length': payload.length });
    res.end(payload);
  }
}

async function body(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_REQUEST_BYTES) throw new Error('request too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
