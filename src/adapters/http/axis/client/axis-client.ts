import { createHash, createHmac } from 'node:crypto';
import { axisHexSpelling, formatAxisTimestamp } from '../../../../modules/bridge/domain/axis-signature';

export interface AxisReply<T = unknown> {
  status: 'OK' | 'FAIL';
  ErrorCode: string;
  ErrorDesc: string;
  data: T;
  [extra: string]: unknown;
}

/**
 * A client of the national axis API (and so of edoc-bus's vdxp-http bridge) that signs its calls
 * exactly as the axis SDK (SDKVXP `VnptService`) does: each parameter as an `XroadVnpt-<name>` header, the JSON object of all of
 * them as `XroadVnpt-sign-header`, its HMAC-SHA256 hex with the secret as `XroadVnpt-hash-header`.
 */
export class AxisClient {
  /** Override the clock (stale-timestamp tests). */
  now: () => Date = () => new Date();
  lastHeaders: Record<string, string> = {};

  constructor(
    readonly baseUrl: string,
    readonly systemId: string,
    private readonly secret: string,
    /** The SDK writes local time; the bus reads Vietnam time (+420) unless configured otherwise. */
    private readonly zoneOffsetMinutes = 420,
    /** The HTTP client: the platform's fetch, or one that trusts a private CA or shows a certificate. */
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  signedHeaders(parameters: Record<string, string>): Record<string, string> {
    const params = {
      systemid: this.systemId,
      timestamp: formatAxisTimestamp(this.now(), this.zoneOffsetMinutes),
      ...parameters,
    };
    const headers: Record<string, string> = {};
    const json: Record<string, string> = {};
    for (const [k, v] of Object.entries(params)) {
      headers[`XroadVnpt-${k}`] = v;
      json[`XroadVnpt-${k}`] = v;
    }
    const signHeader = JSON.stringify(json);
    headers['XroadVnpt-sign-header-key'] = Object.keys(params).join(';');
    headers['XroadVnpt-sign-header'] = signHeader;
    headers['XroadVnpt-hash-header'] = createHmac('sha256', this.secret)
      .update(signHeader, 'utf8')
      .digest('hex');
    headers['XroadVnpt-version'] = '3.0.201608';
    headers['User-Agent'] = 'JAVASDKAgent/1.0.0 XRoad/VPCP';
    return headers;
  }

  async call<T = unknown>(operation: string, parameters: Record<string, string> = {}): Promise<AxisReply<T>> {
    return this.post<T>(operation, this.signedHeaders(parameters));
  }

  /** Sends the exact same headers again (replay tests). */
  async post<T = unknown>(
    operation: string,
    headers: Record<string, string>,
    body?: FormData | Uint8Array,
  ): Promise<AxisReply<T>> {
    this.lastHeaders = headers;
    const res = await this.fetchImpl(`${this.baseUrl}/${operation}`, { method: 'POST', headers, body });
    if (res.status !== 200) throw new Error(`${operation}: HTTP ${res.status} ${await res.text()}`);
    return (await res.json()) as AxisReply<T>;
  }

  /** downloadEdoc: the package as raw bytes (streamed by the bus); an axis error reply otherwise. */
  async download(docid: string): Promise<Buffer | AxisReply> {
    const res = await this.fetchImpl(`${this.baseUrl}/downloadEdoc`, {
      headers: this.signedHeaders({ docid }),
    });
    if (res.status !== 200) throw new Error(`downloadEdoc: HTTP ${res.status} ${await res.text()}`);
    if ((res.headers.get('content-type') ?? '').includes('application/json'))
      return (await res.json()) as AxisReply;
    return Buffer.from(await res.arrayBuffer());
  }

  /**
   * Uploads a package. `format: 'sdk'` (the default) is what SDKVXP 2.0.1 sends on the wire: the
   * file's bytes then CRLF as `application/octet-stream`, and `hash-file` spelled byte by byte
   * without zero padding (Java's `Integer.toHexString(0xFF & b)`). `format: 'multipart'` is the
   * documented form: the file in the part `file_doc`, the hash in zero-padded hex.
   */
  async sendEdoc(
    file: Buffer | string,
    options: {
      from?: string;
      messagetype?: 'edoc' | 'status';
      hashOf?: Buffer | string;
      format?: 'sdk' | 'multipart';
    } = {},
  ): Promise<AxisReply<{ DocId?: string } | null>> {
    const bytes = Buffer.from(file);
    const format = options.format ?? 'sdk';
    const digest = createHash('sha256')
      .update(Buffer.from(options.hashOf ?? bytes))
      .digest();
    const headers = this.signedHeaders({
      from: options.from ?? this.systemId,
      servicetype: 'eDoc',
      messagetype: options.messagetype ?? 'edoc',
      'hash-file': format === 'sdk' ? axisHexSpelling(digest) : digest.toString('hex'),
    });
    if (format === 'sdk') {
      const body = Buffer.concat([bytes, Buffer.from('\r\n')]);
      return this.post('sendEdoc', { ...headers, 'Content-Type': 'application/octet-stream' }, body);
    }
    const form = new FormData();
    form.append('file_doc', new Blob([bytes], { type: 'application/xml' }), 'package.edxml');
    return this.post('sendEdoc', headers, form);
  }
}
