import {
  Catch,
  All,
  Controller,
  HttpCode,
  Inject,
  Logger,
  Post,
  Req,
  Res,
  UseFilters,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { CountPullItems } from '../../../modules/bridge/use-cases/count-pull-items.use-case';
import { ListPullItems } from '../../../modules/bridge/use-cases/list-pull-items.use-case';
import { FetchPullItem } from '../../../modules/bridge/use-cases/fetch-pull-item.use-case';
import { SettlePullItem } from '../../../modules/bridge/use-cases/settle-pull-item.use-case';
import { ListSentDocuments } from '../../../modules/bridge/use-cases/list-sent-documents.use-case';
import {
  SubmitFromBridge,
  type SubmitFromBridgeCommand,
} from '../../../modules/bridge/use-cases/submit-from-bridge.use-case';
import { AuthenticateAxisCall } from '../../../modules/bridge/use-cases/authenticate-axis-call.use-case';
import { pullTypesNamed } from '../../../modules/bridge/pull-inbox-repository.port';
import { ListEndpoints } from '../../../modules/registry/use-cases/list-endpoints.use-case';
import { BUS_CONFIG, type BusConfig } from '../../config/bus-config';
import { readUpload } from '../multipart-upload';
import { announcedLength, receivePackage } from '../read-body';
import { clientCertificates } from '../client-certificates';
import { axisUploadedFile } from '../../../modules/bridge/domain/axis-signature';
import { UploadSpool } from '../../spool/upload-spool';
import { writeChunks } from '../stream-chunks';
import { agencyRow, receivedRow, sentRows, sendReply } from './axis-mapping';
import { AXIS_ERROR, fail, ok, refusedCall, type AxisReply } from './axis-reply';

const TRANSPORT = 'vdxp-http' as const;

/**
 * The national axis API (SDKVXP), so provincial document systems built on its SDK connect to
 * edoc-bus unchanged: same paths, same HMAC-signed `XroadVnpt-*` headers, same
 * `{status, ErrorCode, ErrorDesc, data}` replies. Parameters are read only from the signed headers.
 * Every operation is a use case shared with the REST and SOAP bridges.
 */
/** Whatever goes wrong inside answers in the axis's shape (20, server error), never a bare 500 page. */
@Catch()
class AxisErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('vdxp-http');

  catch(error: unknown, host: ArgumentsHost): void {
    this.logger.error(
      `unexpected: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    const res = host.switchToHttp().getResponse<Response>();
    if (res.headersSent) return void res.end();
    res
      .status(200)
      .json(
        fail(AXIS_ERROR.serverError, 'INTERNAL_ERROR', 'the bus could not complete this call; try again'),
      );
  }
}

@Controller()
@UseFilters(AxisErrorFilter)
export class AxisController {
  private readonly logger = new Logger('vdxp-http');

  constructor(
    private readonly authenticate: AuthenticateAxisCall,
    private readonly submit: SubmitFromBridge,
    private readonly listItems: ListPullItems,
    private readonly fetchItem: FetchPullItem,
    private readonly settleItem: SettlePullItem,
    private readonly listSent: ListSentDocuments,
    private readonly listEndpoints: ListEndpoints,
    private readonly countItems: CountPullItems,
    private readonly spool: UploadSpool,
    @Inject(BUS_CONFIG) private readonly config: BusConfig,
  ) {}

  @Post('sendEdoc')
  @HttpCode(200)
  async sendEdoc(@Req() req: Request, @Res() res: Response): Promise<void> {
    const caller = await this.caller(req, 'sendEdoc');
    if (!caller.ok) {
      req.resume();
      return void res.json(caller.reply);
    }
    const p = caller.parameters;
    const signedFileHash = p['hash-file'] ?? null;
    let upload: SubmitFromBridgeCommand['upload'];
    try {
      upload = await this.readPackage(req, signedFileHash);
    } catch (error) {
      upload = {
        problem: `the upload could not be read: ${error instanceof Error ? error.message : String(error)}`,
      };
    }
    const result = await this.submit
      .execute({
        transport: TRANSPORT,
        organId: caller.organId,
        claimedFrom: p['from'] ?? null,
        messageType: p['messagetype'] ?? null,
        upload,
        signedFileHash,
        remote: remoteOf(req),
      })
      .finally(() => this.spool.release('body' in upload ? upload.body : undefined));
    if (!result.ok) return void res.json(refusedCall(result));
    res.json(sendReply(result.outcome));
  }

  /**
   * The package of a `sendEdoc`, in either of the forms axis clients send: the SDK 2.0.1's raw body
   * (`application/octet-stream`, the file then CRLF) or a multipart form with the file in
   * `file_doc` (the documented form). Both are read as they stream, spooled when large.
   */
  private async readPackage(
    req: Request,
    signedFileHash: string | null,
  ): Promise<SubmitFromBridgeCommand['upload']> {
    const maxBytes = this.config.xmlLimits.maxBytes;
    if (/^multipart\//i.test(req.headers['content-type'] ?? '')) {
      const part = await readUpload(req, 'file_doc', maxBytes, this.spool);
      return part ?? { problem: 'the multipart upload has no file_doc part' };
    }
    const raw = await receivePackage(req, maxBytes, announcedLength(req), this.spool);
    if (raw.totalBytes === 0) return { problem: 'the request carries no package' };
    const file = axisUploadedFile(
      { body: raw.body, sha256: raw.sha256 },
      raw.withoutTrailingCrlf,
      signedFileHash,
    );
    return { body: file.body, sha256: file.sha256 };
  }

  @Post('getReceivedEdocList')
  @HttpCode(200)
  async getReceivedEdocList(@Req() req: Request): Promise<AxisReply> {
    const caller = await this.caller(req, 'getReceivedEdocList');
    if (!caller.ok) return caller.reply;
    const p = caller.parameters;
    const page = await this.listItems.execute({
      endpoint: caller.organId,
      types: pullTypesNamed(p['messagetype'] ?? null),
      poller: p['pollerid'] ?? null,
      after: p['after'] ?? null,
      limit: Number(p['pagesize'] ?? 100),
    });
    return ok(
      page.items.map((i) => receivedRow(i, caller.organId)),
      { next: page.next, poller: page.poller },
    );
  }

  @Post('getEdoc')
  @HttpCode(200)
  async getEdoc(@Req() req: Request, @Res() res: Response): Promise<void> {
    const fetched = await this.fetchFor(req, res, 'getEdoc');
    if (!fetched) return;
    const { docId, found } = fetched;
    // Streamed: a 50 MB package is never held whole, nor as one base64 string.
    res.status(200).type('application/json');
    res.write(
      `{"status":"OK","ErrorCode":"0","ErrorDesc":"","docId":${JSON.stringify(docId)},"messageType":"${found.item.messageType}","data":"`,
    );
    // Pieces are multiples of 3 bytes: their base64 joins into the base64 of the whole.
    if (await writeChunks(res, found.chunks(), 'base64')) res.end('"}');
  }

  /** The SDK's counters: how many documents (or statuses) wait; nothing is reserved. */
  @All('countReceiveEdoc')
  @HttpCode(200)
  async countReceiveEdoc(@Req() req: Request): Promise<AxisReply> {
    return this.count(req, 'countReceiveEdoc', 'edoc');
  }

  @All('countReceiveStatus')
  @HttpCode(200)
  async countReceiveStatus(@Req() req: Request): Promise<AxisReply> {
    return this.count(req, 'countReceiveStatus', 'status');
  }

  /** The package itself as a stream of bytes (getEdoc wraps it in base64 JSON); same rules as getEdoc. */
  @All('downloadEdoc')
  async downloadEdoc(@Req() req: Request, @Res() res: Response): Promise<void> {
    const fetched = await this.fetchFor(req, res, 'downloadEdoc');
    if (!fetched) return;
    const { docId, found } = fetched;
    res
      .status(200)
      .type('application/xml')
      .setHeader('content-length', String(found.size))
      .setHeader('content-disposition', `attachment; filename="${docId.replace(/[^\w.-]/g, '_')}.edxml"`);
    if (await writeChunks(res, found.chunks())) res.end();
  }

  /**
   * getEdoc and downloadEdoc: authenticate, then find the caller's own pending item. A refusal is
   * answered here (axis JSON reply, HTTP 200 as the SDK expects) and null returned.
   */
  private async fetchFor(req: Request, res: Response, operation: string) {
    const caller = await this.caller(req, operation);
    if (!caller.ok) {
      res.status(200).json(caller.reply);
      return null;
    }
    const docId = caller.parameters['docid'] ?? '';
    const found = await this.fetchItem.execute({
      transport: TRANSPORT,
      endpoint: caller.organId,
      docId,
      remote: remoteOf(req),
    });
    if (!found.ok) {
      res.status(200).json(refusedCall(found));
      return null;
    }
    return { docId, found };
  }

  private async count(req: Request, operation: string, messageType: 'edoc' | 'status'): Promise<AxisReply> {
    const caller = await this.caller(req, operation);
    if (!caller.ok) return caller.reply;
    const n = await this.countItems.execute({
      endpoint: caller.organId,
      types: pullTypesNamed(messageType),
    });
    return ok(n);
  }

  @Post('updateStatus')
  @HttpCode(200)
  async updateStatus(@Req() req: Request): Promise<AxisReply> {
    const caller = await this.caller(req, 'updateStatus');
    if (!caller.ok) return caller.reply;
    const r = await this.settleItem.execute({
      transport: TRANSPORT,
      endpoint: caller.organId,
      docId: caller.parameters['docid'] ?? '',
      outcome: caller.parameters['status'] ?? '',
      remote: remoteOf(req),
    });
    if (!r.ok) return refusedCall(r);
    return ok({ docId: caller.parameters['docid'], state: r.state, failCount: r.failCount });
  }

  @Post('getSentEdocList')
  @HttpCode(200)
  async getSentEdocList(@Req() req: Request): Promise<AxisReply> {
    const caller = await this.caller(req, 'getSentEdocList');
    if (!caller.ok) return caller.reply;
    const page = await this.listSent.execute({
      sender: caller.organId,
      before: caller.parameters['before'] ?? null,
      limit: Number(caller.parameters['pagesize'] ?? 50),
    });
    return ok(
      page.documents.flatMap((d) => sentRows(d, caller.organId)),
      { next: page.next },
    );
  }

  @Post('getAgenciesList')
  @HttpCode(200)
  async getAgenciesList(@Req() req: Request): Promise<AxisReply> {
    return this.agencies(req, 'getAgenciesList', 'qcvn102');
  }

  @Post('getAgenciesListQD20')
  @HttpCode(200)
  async getAgenciesListQD20(@Req() req: Request): Promise<AxisReply> {
    return this.agencies(req, 'getAgenciesListQD20', 'qd20');
  }

  private async agencies(req: Request, operation: string, form: 'qcvn102' | 'qd20'): Promise<AxisReply> {
    const caller = await this.caller(req, operation);
    if (!caller.ok) return caller.reply;
    const { endpoints } = await this.listEndpoints.execute();
    return ok(endpoints.map((e) => agencyRow(e, form)));
  }

  private async caller(
    req: Request,
    operation: string,
  ): Promise<
    { ok: true; organId: string; parameters: Record<string, string> } | { ok: false; reply: AxisReply }
  > {
    try {
      const identity = await this.authenticate.execute({
        transport: TRANSPORT,
        operation,
        signedHeaderJson: header(req, 'xroadvnpt-sign-header'),
        hash: header(req, 'xroadvnpt-hash-header'),
        plainParameters: plainParameters(req),
        clientCertificates: clientCertificates(req),
        remote: remoteOf(req),
      });
      if (identity.ok) return identity;
      return { ok: false, reply: refusedCall(identity) };
    } catch (error) {
      this.logger.error(`${operation}: ${String(error)}`);
      return {
        ok: false,
        reply: fail(
          AXIS_ERROR.serverError,
          'INTERNAL_ERROR',
          'the bus could not check the credentials; try again',
        ),
      };
    }
  }
}

function header(req: Request, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The signature's own headers; every other `XroadVnpt-*` header is a parameter. */
const SIGNATURE_HEADERS = new Set(['sign-header', 'hash-header', 'sign-header-key', 'version']);

/**
 * The `XroadVnpt-<name>` parameter headers as sent. Node reads header bytes as Latin-1; the SDK
 * writes UTF-8, so the bytes are read again as UTF-8 to compare with the signed JSON.
 */
function plainParameters(req: Request): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(req.headers)) {
    if (!key.startsWith('xroadvnpt-') || value === undefined) continue;
    const name = key.slice('xroadvnpt-'.length);
    if (SIGNATURE_HEADERS.has(name)) continue;
    const text = Array.isArray(value) ? value.join(', ') : value;
    out[name] = Buffer.from(text, 'latin1').toString('utf8');
  }
  return out;
}

export function remoteOf(req: Request): string | null {
  return req.socket.remoteAddress ?? null;
}
