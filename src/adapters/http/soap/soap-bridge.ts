import { Inject, Injectable, Logger, type INestApplication } from '@nestjs/common';
import type { Application, NextFunction, Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { projectPath } from '../../../modules/shared/resources';
import * as soap from 'soap';
import { pullTypesNamed } from '../../../modules/bridge/pull-inbox-repository.port';
import { AuthenticatePassword } from '../../../modules/bridge/use-cases/authenticate-password.use-case';
import { FetchPullItem } from '../../../modules/bridge/use-cases/fetch-pull-item.use-case';
import { ListPullItems } from '../../../modules/bridge/use-cases/list-pull-items.use-case';
import { ListSentDocuments } from '../../../modules/bridge/use-cases/list-sent-documents.use-case';
import { SettlePullItem } from '../../../modules/bridge/use-cases/settle-pull-item.use-case';
import { SubmitFromBridge } from '../../../modules/bridge/use-cases/submit-from-bridge.use-case';
import type { BridgeRefusalCode } from '../../../modules/bridge/domain/bridge-refusal';
import { RecordUnreadableCall } from '../../../modules/bridge/use-cases/record-unreadable-call.use-case';
import { ListEndpoints } from '../../../modules/registry/use-cases/list-endpoints.use-case';
import { describeRefusal } from '../../../modules/shared/reasons';
import { escapeAttribute, escapeText } from '../../../modules/edoc/writing/xml-writer';
import { BUS_CONFIG, type BusConfig } from '../../config/bus-config';
import { announcedLength, receivePackage } from '../read-body';
import { clientCertificates } from '../client-certificates';
import { UploadSpool } from '../../spool/upload-spool';
import { isSpooled } from '../../../modules/shared/package-body';
import { bufferView } from '../../../modules/shared/bytes';
import { writeChunks } from '../stream-chunks';
import {
  AXIS_ERROR,
  axisCodeForBridgeRefusal,
  axisCodeForRefusal,
  type AxisErrorCode,
} from '../axis/axis-reply';
import { agencyRow } from '../axis/axis-mapping';
import { liftedBody, liftPackage, liftSpooledPackage, packageBytes } from './lifted-package';

export const SOAP_PATH = '/soap/edoc';
const WSDL_FILE = projectPath('schemas', 'soap', 'edoc.wsdl');
const TRANSPORT = 'soap' as const;

type Args = Record<string, unknown>;

/**
 * A package GetEdoc streams into the envelope: node-soap builds the reply around `token`, and the
 * reply's end splices the package's base64 in its place a piece at a time, so a 50 MB package
 * never sits in memory whole (nor as a 67 MB string inside the envelope).
 */
interface StreamedPackage {
  token: string;
  size: number;
  chunks: () => AsyncIterable<Uint8Array>;
}
const STREAMED = Symbol('streamed package');
type SoapRequest = Request & { [STREAMED]?: StreamedPackage };
type SoapHeaders = { Security?: { UsernameToken?: { Username?: unknown; Password?: unknown } } } | undefined;

/** A SOAP 1.1 fault carrying the axis error code and the bus's reason code (node-soap sends `Fault`). */
class SoapFault extends Error {
  readonly Fault: Record<string, unknown>;

  constructor(errorCode: AxisErrorCode, reasonCode: string, description: string) {
    super(`${errorCode} ${reasonCode}: ${description}`);
    this.Fault = {
      faultcode: errorCode === AXIS_ERROR.serverError ? 'soap:Server' : 'soap:Client',
      faultstring: this.message,
      detail: { EdocFault: { ErrorCode: errorCode, ReasonCode: reasonCode, ErrorDesc: description } },
      statusCode: 500,
    };
  }
}

function fault(errorCode: AxisErrorCode, reasonCode: string, description: string): never {
  throw new SoapFault(errorCode, reasonCode, description);
}

function text(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  if (value && typeof value === 'object' && '$value' in value) return text(value.$value);
  return null;
}

/**
 * The SOAP bridge at /soap/edoc (WSDL at ?wsdl, kept in schemas/soap): the same use cases as the
 * other bridges, authenticated by WS-Security UsernameToken. A size limit sits in front of the XML
 * parser, and compressed bodies are refused (no zip bombs).
 */
@Injectable()
export class SoapBridge {
  constructor(
    @Inject(BUS_CONFIG) private readonly config: BusConfig,
    readonly authenticate: AuthenticatePassword,
    readonly submit: SubmitFromBridge,
    readonly listItems: ListPullItems,
    readonly fetchItem: FetchPullItem,
    readonly settleItem: SettlePullItem,
    readonly listSent: ListSentDocuments,
    readonly listEndpoints: ListEndpoints,
    readonly recordUnreadable: RecordUnreadableCall,
    readonly spool: UploadSpool,
  ) {}

  /** node-soap serves on the HTTP server itself: mounted on the Nest app's Express instance. */
  mount(app: INestApplication): Promise<void> {
    return mountSoap(app, this.config, this);
  }
}

async function mountSoap(app: INestApplication, config: BusConfig, bridge: SoapBridge): Promise<void> {
  const logger = new Logger('soap');
  const {
    authenticate,
    submit,
    listItems,
    fetchItem,
    settleItem,
    listSent,
    listEndpoints,
    recordUnreadable,
    spool,
  } = bridge;
  const unreadable = (reason: string, remote: string | null) =>
    recordUnreadable
      .execute({ transport: TRANSPORT, reason, remote })
      .catch((error: unknown) => logger.warn(`could not record a refused SOAP call: ${String(error)}`));
  // base64 grows a package by a third; the envelope adds a little.
  const maxBody = Math.ceil((config.xmlLimits.maxBytes * 4) / 3) + 256 * 1024;

  const express = app.getHttpAdapter().getInstance() as Application;
  const wsdl = readFileSync(WSDL_FILE, 'utf8');
  express.use(SOAP_PATH, (req: Request, res: Response, next: NextFunction) => {
    if (req.method === 'GET' && asksForWsdl(req.url)) {
      // Clients generated from the WSDL post where it says: the address this client reached.
      const location = `${config.publicBaseUrl ?? requestBase(req)}${SOAP_PATH}`;
      return void res.status(200).type('text/xml').send(withServiceAddress(wsdl, location));
    }
    if (req.method !== 'POST') return next();
    const encoding = req.headers['content-encoding'];
    if (encoding && encoding !== 'identity')
      return void res.status(415).end('compressed SOAP bodies are not accepted');
    receivePackage(req, maxBody, announcedLength(req), spool).then(
      (body) => {
        // Whatever happens to the call (refused credentials, a fault, a lost client), its spool
        // files go when it ends: the envelope's at once, the lifted package's after the reply.
        res.on('close', () => spool.release(liftedBody(req)));
        if (body.truncated) {
          spool.release(body.body);
          void unreadable(`body over ${maxBody} bytes`, req.socket.remoteAddress ?? null);
          return void res
            .status(413)
            .type('text/xml')
            .end(soapFaultXml(`${AXIS_ERROR.badFile} TOO_LARGE: over ${maxBody} bytes`));
        }
        try {
          (req as Request & { body: Buffer }).body = isSpooled(body.body)
            ? liftSpooledPackage(req, body.body, spool)
            : liftPackage(req, bufferView(body.body));
        } finally {
          spool.release(body.body);
        }
        streamPackageOnEnd(req as SoapRequest, res, logger);
        next();
      },
      (error: unknown) => next(error),
    );
  });

  const caller = async (
    operation: string,
    headers: SoapHeaders,
    req: Request | undefined,
  ): Promise<string> => {
    const token = headers?.Security?.UsernameToken;
    const identity = await authenticate.execute({
      transport: TRANSPORT,
      operation,
      username: text(token?.Username),
      password: text(token?.Password),
      clientCertificates: req ? clientCertificates(req) : [],
      remote: req?.socket.remoteAddress ?? null,
    });
    if (!identity.ok) fault(AXIS_ERROR.badCredentials, identity.code, identity.reason);
    return identity.organId;
  };
  const refused = (code: BridgeRefusalCode, reason: string): never =>
    fault(axisCodeForBridgeRefusal(code), code, reason);
  const guarded =
    (
      operation: string,
      handler: (args: Args, organId: string, req: Request | undefined) => Promise<unknown>,
    ) =>
    async (args: Args, _cb: unknown, headers: SoapHeaders, req?: Request) => {
      const organId = await caller(operation, headers, req);
      try {
        return await handler(args ?? {}, organId, req);
      } catch (error) {
        if (error instanceof SoapFault) throw error;
        logger.error(
          `${operation}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
        );
        return fault(
          AXIS_ERROR.serverError,
          'INTERNAL_ERROR',
          'the bus could not complete this call; try again',
        );
      }
    };

  const services = {
    EdocService: {
      EdocPort: {
        SendEdoc: guarded('send', async (args, organId, req) => {
          const result = await submit.execute({
            transport: TRANSPORT,
            organId,
            claimedFrom: null,
            messageType: text(args['MessageType']),
            upload: { body: packageBytes(req, text(args['Package']) ?? ''), sha256: null },
            signedFileHash: null,
            remote: req?.socket.remoteAddress ?? null,
          });
          if (!result.ok) return refused(result.code, result.reason);
          const o = result.outcome;
          if (o.outcome === 'rejected') {
            const t = describeRefusal(o.refusal);
            return fault(axisCodeForRefusal(o.refusal.code), o.refusal.code, `${t.vi} / ${t.en}`);
          }
          return {
            DocId: o.busId ?? '',
            Outcome: o.outcome === 'accepted' ? 'accepted' : 'duplicate',
            DocumentId: 'documentId' in o ? o.documentId : undefined,
          };
        }),
        GetReceivedEdocList: guarded('list', async (args, organId) => {
          const page = await listItems.execute({
            endpoint: organId,
            types: pullTypesNamed(text(args['MessageType'])),
            poller: text(args['PollerId']),
            after: text(args['After']),
            limit: Number(text(args['PageSize']) ?? 100),
          });
          return {
            Item: page.items.map((i) => ({
              DocId: i.docId,
              MessageType: i.messageType,
              From: i.from ?? undefined,
              DocumentId: i.documentId ?? undefined,
              StatusCode: i.statusCode ?? undefined,
              ReceiptOutcome: i.receiptOutcome ?? undefined,
              Urgent: i.lane === 'urgent',
              CreatedTime: i.createdAt.toISOString(),
              Cursor: i.cursor,
            })),
            Next: page.next ?? undefined,
          };
        }),
        GetEdoc: guarded('fetch', async (args, organId, req) => {
          const docId = text(args['DocId']) ?? '';
          const found = await fetchItem.execute({
            transport: TRANSPORT,
            endpoint: organId,
            docId,
            remote: req?.socket.remoteAddress ?? null,
          });
          if (!found.ok) return refused(found.code, found.reason);
          const token = `edoc-bus-package-${randomUUID()}`;
          (req as SoapRequest)[STREAMED] = { token, size: found.size, chunks: () => found.chunks() };
          return { DocId: docId, MessageType: found.item.messageType, Package: token };
        }),
        UpdateStatus: guarded('settle', async (args, organId, req) => {
          const docId = text(args['DocId']) ?? '';
          const r = await settleItem.execute({
            transport: TRANSPORT,
            endpoint: organId,
            docId,
            outcome: text(args['Status']) ?? '',
            remote: req?.socket.remoteAddress ?? null,
          });
          if (!r.ok) return refused(r.code, r.reason);
          return { DocId: docId, State: r.state, FailCount: r.failCount ?? 0 };
        }),
        GetSentEdocList: guarded('sent', async (args, organId) => {
          const page = await listSent.execute({
            sender: organId,
            before: text(args['Before']),
            limit: Number(text(args['PageSize']) ?? 50),
          });
          return {
            Line: page.documents.flatMap((d) =>
              d.copies.map((c) => ({
                DocId: d.busId,
                DocumentId: d.documentId,
                ToCode: c.recipient,
                Title: d.subject ?? undefined,
                SentTime: d.acceptedAt.toISOString(),
                ReceivedTime: c.deliveredAt?.toISOString(),
                ReceiveStatus: c.state,
                LastStatusCode: c.lastStatusCode ?? undefined,
              })),
            ),
            Next: page.next ?? undefined,
          };
        }),
        GetAgencies: guarded('agencies', async (args) => {
          const form = (text(args['Form']) ?? 'qcvn102').toLowerCase() === 'qd20' ? 'qd20' : 'qcvn102';
          const { endpoints } = await listEndpoints.execute();
          return {
            Agency: endpoints.map((e) => {
              const row = agencyRow(e, form);
              return {
                Code: row['code'] ?? '',
                Code102: e.organId,
                Name: e.name,
                Transport: e.transport,
                Status: e.status,
              };
            }),
          };
        }),
      },
    },
  };

  // The route must exist before Nest's not-found handler is installed (at listen): wait for it.
  await new Promise<void>((resolvePromise, reject) => {
    const server = soap.listen(express, {
      path: SOAP_PATH,
      // One res.end(envelope) per reply, which streamPackageOnEnd can take apart.
      enableChunkedEncoding: false,
      services,
      xml: wsdl,
      suppressStack: true,
      callback: (error: unknown) =>
        error
          ? reject(error instanceof Error ? error : new Error('the WSDL could not be loaded'))
          : resolvePromise(),
    });
    // node-soap reports an envelope it cannot read (not XML, no Body, unknown operation) here,
    // after answering with a fault: record it like every other refused call.
    server.log = (type: string, data: unknown) => {
      if (type !== 'error') return;
      logger.warn(String(data));
      void unreadable(`the SOAP envelope could not be read: ${String(data)}`, null);
    };
  });
}

/**
 * Wraps `res.end` so that a reply carrying a streamed package's token is sent as the envelope up
 * to the token, the package's base64 piece by piece (pieces are multiples of 3 bytes, so their
 * base64 joins into the whole's), then the rest — with its exact length announced up front.
 */
function streamPackageOnEnd(req: SoapRequest, res: Response, logger: Logger): void {
  const end = res.end.bind(res) as (chunk?: unknown) => Response;
  res.end = ((chunk?: unknown, ...rest: unknown[]) => {
    const pending = req[STREAMED];
    const envelope =
      typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : null;
    const at = pending && envelope ? envelope.indexOf(pending.token) : -1;
    if (!pending || envelope === null || at < 0)
      return (end as (...a: unknown[]) => Response)(chunk, ...rest);
    delete req[STREAMED];
    const head = Buffer.from(envelope.slice(0, at), 'utf8');
    const tail = Buffer.from(envelope.slice(at + pending.token.length), 'utf8');
    res.setHeader('content-length', String(head.length + 4 * Math.ceil(pending.size / 3) + tail.length));
    res.write(head);
    void writeChunks(res, pending.chunks(), 'base64').then((whole) => {
      if (whole) end(tail);
      else logger.warn('GetEdoc: the package could not be read to the end; the transfer was broken off');
    });
    return res;
  }) as Response['end'];
}

function asksForWsdl(url: string): boolean {
  const query = url.indexOf('?');
  return (
    query >= 0 &&
    url
      .slice(query + 1)
      .split('&')
      .some((p) => p.toLowerCase() === 'wsdl')
  );
}

/** A Host header that is a host name or address with an optional port, nothing else. */
const HOST =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * The scheme, host and port the client used to reach this listener. The Host header says which of
 * the bus's names it used; one that is not a plain host[:port] gives way to the socket's address.
 */
function requestBase(req: Request): string {
  // TLS here, or at a proxy listed in TRUSTED_PROXIES (X-Forwarded-Proto believed from it only).
  const scheme = req.protocol === 'https' ? 'https' : 'http';
  const host = req.headers.host;
  if (host && HOST.test(host)) return `${scheme}://${host}`;
  const address = req.socket.localAddress ?? '127.0.0.1';
  const shown = address.includes(':') ? `[${address}]` : address;
  return `${scheme}://${shown}:${req.socket.localPort ?? ''}`;
}

/** The WSDL with the service's `soap:address` set to `location`. */
export function withServiceAddress(wsdl: string, location: string): string {
  return wsdl.replace(/(<soap:address\s+location=")[^"]*(")/g, `$1${escapeAttribute(location)}$2`);
}

function soapFaultXml(message: string): string {
  const escaped = escapeText(message);
  return `<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault><faultcode>soap:Client</faultcode><faultstring>${escaped}</faultstring></soap:Fault></soap:Body></soap:Envelope>`;
}
