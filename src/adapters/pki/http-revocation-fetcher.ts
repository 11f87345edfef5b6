import { RevocationFetcher } from '../../modules/trust/revocation/revocation-sources.port';

const MAX_RESPONSE_BYTES = 20 * 1024 * 1024;

/**
 * Fetches CRLs and OCSP responses over HTTP with a hard timeout and a size cap (a hostile or
 * broken responder cannot stall or flood the bus). Internal OCSP hosts named in some government
 * certificates (`ocsp.ca.ptc`) are rewritten to the public responder.
 */
export class HttpRevocationFetcher extends RevocationFetcher {
  constructor(
    private readonly timeoutMs: number,
    private readonly rewrites: Record<string, string> = { 'http://ocsp.ca.ptc': 'http://ocsp.ca.gov.vn' },
  ) {
    super();
  }

  async get(url: string): Promise<Uint8Array> {
    return this.request(url, { method: 'GET' });
  }

  async post(url: string, body: Uint8Array, contentType: string): Promise<Uint8Array> {
    return this.request(url, {
      method: 'POST',
      body: Buffer.from(body),
      headers: { 'content-type': contentType },
    });
  }

  private async request(url: string, init: RequestInit): Promise<Uint8Array> {
    const target = this.rewrite(url);
    if (!/^https?:\/\//.test(target)) throw new Error(`unsupported revocation URL ${url}`);
    const response = await fetch(target, { ...init, signal: AbortSignal.timeout(this.timeoutMs) });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const declared = Number(response.headers.get('content-length') ?? '0');
    if (declared > MAX_RESPONSE_BYTES) throw new Error(`response too large (${declared} bytes)`);
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (bytes.length > MAX_RESPONSE_BYTES) throw new Error(`response too large (${bytes.length} bytes)`);
    return bytes;
  }

  private rewrite(url: string): string {
    for (const [from, to] of Object.entries(this.rewrites))
      if (url.startsWith(from)) return to + url.slice(from.length);
    return url;
  }
}
