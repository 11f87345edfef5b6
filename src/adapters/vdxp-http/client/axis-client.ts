import { createHash, createHmac } from 'node:crypto';
import { formatAxisTimestamp } from '../../../modules/bridge/domain/axis-signature';

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
    body?: FormData,
  ): Promise<AxisReply<T>> {
    this.lastHeaders = headers;
    const res = await fetch(`${this.baseUrl}/${operation}`, { method: 'POST', headers, body });
    if (res.status !== 200) throw new Error(`${operation}: HTTP ${res.status} ${await res.text()}`);
    return (await res.json()) as AxisReply<T>;
  }

  /** downloadEdoc: the package as raw bytes (streamed by the bus); an axis error reply otherwise. */
  async download(docid: string): Promise<Buffer | AxisReply> {
    const res = await fetch(`${this.baseUrl}/downloadEdoc`, { headers: this.signedHeaders({ docid }) });
    if (res.status !== 200) throw new Error(`downloadEdoc: HTTP ${res.status} ${await res.text()}`);
    if ((res.headers.get('content-type') ?? '').includes('application/json'))
      return (await res.json()) as AxisReply;
    return Buffer.from(await res.arrayBuffer());
  }

  async sendEdoc(
    file: Buffer | string,
    options: { from?: string; messagetype?: 'edoc' | 'status'; hashOf?: Buffer | string } = {},
  ): Promise<AxisReply<{ DocId?: string } | null>> {
    const bytes = Buffer.from(file);
    const headers = this.signedHeaders({
      from: options.from ?? this.systemId,
      servicetype: 'eDoc',
      messagetype: options.messagetype ?? 'edoc',
      'hash-file': createHash('sha256')
        .update(Buffer.from(options.hashOf ?? bytes))
        .digest('hex'),
    });
    const form = new FormData();
    form.append('file_doc', new Blob([bytes], { type: 'application/xml' }), 'package.edxml');
    return this.post('sendEdoc', headers, form);
  }
}
