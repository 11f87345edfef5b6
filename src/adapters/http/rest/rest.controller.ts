import {
  Controller,
  Get,
  HttpException,
  HttpStatus,
  Inject,
  Param,
  Post,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { PULL_MESSAGE_TYPES, type PullMessageType } from '../../../modules/bridge/pull-inbox-repository.port';
import { AuthenticateBearer } from '../../../modules/bridge/use-cases/authenticate-bearer.use-case';
import { clientCertificates } from '../client-certificates';
import { FetchPullItem } from '../../../modules/bridge/use-cases/fetch-pull-item.use-case';
import { ListPullItems } from '../../../modules/bridge/use-cases/list-pull-items.use-case';
import { ListSentDocuments } from '../../../modules/bridge/use-cases/list-sent-documents.use-case';
import { SettlePullItem } from '../../../modules/bridge/use-cases/settle-pull-item.use-case';
import { SubmitFromBridge } from '../../../modules/bridge/use-cases/submit-from-bridge.use-case';
import { GetDocumentTrace } from '../../../modules/delivery/use-cases/get-document-trace.use-case';
import {
  archivedAnswer,
  LocateArchivedDocument,
} from '../../../modules/retention/use-cases/locate-archived-document.use-case';
import { qcvn102ToQd20 } from '../../../modules/registry/domain/organ-code';
import { ListEndpoints } from '../../../modules/registry/use-cases/list-endpoints.use-case';
import type { SubmissionOutcome } from '../../../modules/routing/domain/submission-outcome';
import { describeRefusal } from '../../../modules/shared/reasons';
import { BUS_CONFIG, type BusConfig } from '../../config/bus-config';
import { announcedLength, readBody, receivePackage } from '../read-body';
import { UploadSpool } from '../../spool/upload-spool';
import { writeChunks } from '../stream-chunks';
import { OPENAPI } from './openapi';

const TRANSPORT = 'rest' as const;
const TYPES = PULL_MESSAGE_TYPES;

/**
 * The modern bridge: `/api/v1/…`, bearer token per endpoint, packages as raw `application/xml`,
 * everything else JSON; OpenAPI at `/api/docs`. The same use cases as AMQP and the axis bridge.
 */
@Controller('api')
export class RestController {
  constructor(
    private readonly authenticate: AuthenticateBearer,
    private readonly submit: SubmitFromBridge,
    private readonly listItems: ListPullItems,
    private readonly fetchItem: FetchPullItem,
    private readonly settleItem: SettlePullItem,
    private readonly listSent: ListSentDocuments,
    private readonly trace: GetDocumentTrace,
    private readonly locateArchived: LocateArchivedDocument,
    private readonly listEndpoints: ListEndpoints,
    private readonly spool: UploadSpool,
    @Inject(BUS_CONFIG) private readonly config: BusConfig,
  ) {}

  @Get('docs')
  docs(): unknown {
    return OPENAPI;
  }

  @Post('v1/documents')
  async sendDocument(@Req() req: Request, @Res() res: Response): Promise<void> {
    await this.send(req, res, 'edoc');
  }

  @Post('v1/statuses')
  async sendStatus(@Req() req: Request, @Res() res: Response): Promise<void> {
    await this.send(req, res, 'status');
  }

  @Get('v1/inbox')
  async inbox(
    @Req() req: Request,
    @Query('types') types?: string,
    @Query('after') after?: string,
    @Query('limit') limit?: string,
    @Query('poller') poller?: string,
  ): Promise<unknown> {
    const organId = await this.caller(req, 'inbox');
    const wanted = (types ?? 'edoc,status,receipt')
      .split(',')
      .filter((t): t is PullMessageType => TYPES.includes(t as PullMessageType));
    if (wanted.length === 0)
      throw new HttpException({ code: 'BAD_REQUEST', reason: 'types: edoc, status, receipt' }, 400);
    const page = await this.listItems.execute({
      endpoint: organId,
      types: wanted,
      poller: poller ?? null,
      after: after ?? null,
      limit: Number(limit ?? 100),
    });
    return { items: page.items, next: page.next, poller: page.poller };
  }

  @Get('v1/inbox/:docId')
  async fetch(@Req() req: Request, @Res() res: Response, @Param('docId') docId: string): Promise<void> {
    const organId = await this.caller(req, 'fetch');
    const found = await this.fetchItem.execute({
      transport: TRANSPORT,
      endpoint: organId,
      docId,
      remote: remoteOf(req),
    });
    if (!found.ok) throw new HttpException({ code: found.code, reason: found.reason }, 404);
    res
      .status(200)
      .type('application/xml')
      .set('content-length', String(found.size))
      .set('x-edoc-message-type', found.item.messageType)
      .set('x-edoc-bus-id', found.item.docId);
    if (await writeChunks(res, found.chunks())) res.end();
  }

  @Post('v1/inbox/:docId/ack')
  async ack(@Req() req: Request, @Param('docId') docId: string): Promise<unknown> {
    const organId = await this.caller(req, 'ack');
    const outcome = await ackOutcome(req);
    const r = await this.settleItem.execute({
      transport: TRANSPORT,
      endpoint: organId,
      docId,
      outcome: typeof outcome === 'string' ? outcome : '',
      remote: remoteOf(req),
    });
    if (!r.ok)
      throw new HttpException({ code: r.code, reason: r.reason }, r.code === 'BAD_REQUEST' ? 400 : 404);
    return { docId, state: r.state, failCount: r.failCount };
  }

  @Get('v1/sent')
  async sent(
    @Req() req: Request,
    @Query('before') before?: string,
    @Query('limit') limit?: string,
  ): Promise<unknown> {
    const organId = await this.caller(req, 'sent');
    return this.listSent.execute({ sender: organId, before: before ?? null, limit: Number(limit ?? 50) });
  }

  @Get('v1/documents/:busId/trace')
  async documentTrace(@Req() req: Request, @Param('busId') busId: string): Promise<unknown> {
    const organId = await this.caller(req, 'trace');
    const trace = await this.trace.execute({ requester: organId, busId });
    if (trace) return trace;
    const archived = await this.locateArchived.forSender(organId, { busId });
    if (archived)
      // 410 Gone: it existed and is kept, no longer here; the body says where and how to get it.
      throw new HttpException(
        {
          code: 'ARCHIVED',
          archivedIn: archived.archivedIn,
          recipients: archived.recipients,
          reason: archivedAnswer(archived),
        },
        410,
      );
    throw new HttpException({ code: 'NOT_FOUND', reason: `no document ${busId} sent by ${organId}` }, 404);
  }

  @Get('v1/agencies')
  async agencies(@Req() req: Request): Promise<unknown> {
    await this.caller(req, 'agencies');
    const { endpoints, aliases } = await this.listEndpoints.execute();
    return {
      endpoints: endpoints.map((e) => ({ ...e, codeQd20: e.codeQd20 ?? safeQd20(e.organId) })),
      aliases,
    };
  }

  private async send(req: Request, res: Response, kind: 'edoc' | 'status'): Promise<void> {
    const organId = await this.caller(req, `send:${kind}`);
    const upload = await receivePackage(
      req,
      this.config.xmlLimits.maxBytes,
      announcedLength(req),
      this.spool,
    );
    const result = await this.submit
      .execute({
        transport: TRANSPORT,
        organId,
        claimedFrom: null,
        messageType: kind,
        upload,
        signedFileHash: null,
        remote: remoteOf(req),
      })
      .finally(() => this.spool.release(upload.body));
    if (!result.ok) throw new HttpException({ code: result.code, reason: result.reason }, 400);
    const [status, body] = submissionReply(result.outcome);
    res.status(status).json(body);
  }

  private async caller(req: Request, operation: string): Promise<string> {
    const auth = req.headers.authorization;
    const token = auth?.startsWith('Bearer ') ? auth.slice('Bearer '.length).trim() : undefined;
    const identity = await this.authenticate.execute({
      token,
      operation,
      clientCertificates: clientCertificates(req),
      remote: remoteOf(req),
    });
    if (!identity.ok)
      throw new HttpException({ code: identity.code, reason: identity.reason }, HttpStatus.UNAUTHORIZED);
    return identity.organId;
  }
}

/** 202: stored, copies on their way; 200: already had it; 422 / 413: refused, with the receipt's reason. */
function submissionReply(outcome: SubmissionOutcome): [number, unknown] {
  switch (outcome.outcome) {
    case 'accepted':
      return [
        202,
        {
          outcome: 'accepted',
          busId: outcome.busId,
          documentId: outcome.documentId,
          recipients: outcome.recipients,
          warnings: outcome.warnings,
        },
      ];
    case 'duplicate':
      return [200, { outcome: 'duplicate', busId: outcome.busId, documentId: outcome.documentId }];
    case 'replayed':
      return [200, { outcome: 'duplicate', busId: outcome.busId }];
    case 'rejected': {
      const text = describeRefusal(outcome.refusal);
      return [
        outcome.refusal.code === 'TOO_LARGE' ? 413 : 422,
        { outcome: 'rejected', code: outcome.refusal.code, reason: text, quarantineId: outcome.quarantineId },
      ];
    }
  }
}

/** `{"outcome": "done" | "processing" | "fail"}`; an empty body means done. */
async function ackOutcome(req: Request): Promise<unknown> {
  const raw = await readBody(req, 4096);
  if (raw.truncated) return null;
  if (raw.bytes.length === 0) return 'done';
  try {
    return (JSON.parse(raw.bytes.toString('utf8')) as { outcome?: unknown }).outcome ?? 'done';
  } catch {
    return null;
  }
}

function safeQd20(code: string): string | null {
  try {
    return qcvn102ToQd20(code);
  } catch {
    return null;
  }
}

function remoteOf(req: Request): string | null {
  return req.socket.remoteAddress ?? null;
}
