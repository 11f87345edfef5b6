import type { IncomingMessage } from 'node:http';
import type { DetailedPeerCertificate, TLSSocket } from 'node:tls';

/**
 * The certificate chain a caller showed in the TLS handshake, as DER base64, its own certificate
 * first (then the CAs it sent along); empty over plain HTTP or when it showed none. Node only
 * parses it: whether it is trusted, not revoked and whose it is, the bridge use cases decide.
 */
export function clientCertificates(req: IncomingMessage): string[] {
  const socket = req.socket as TLSSocket;
  if (!socket.encrypted || typeof socket.getPeerCertificate !== 'function') return [];
  const chain: string[] = [];
  const seen = new Set<string>();
  let cert: DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  while (cert?.raw && !seen.has(cert.fingerprint256) && chain.length < 10) {
    seen.add(cert.fingerprint256);
    chain.push(cert.raw.toString('base64'));
    cert = cert.issuerCertificate;
  }
  return chain;
}
