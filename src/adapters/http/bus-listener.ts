import type { BeforeApplicationShutdown, INestApplication } from '@nestjs/common';
import { Injectable, Logger } from '@nestjs/common';
import type { Application, Request, Response } from 'express';
import { randomBytes } from 'node:crypto';
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { Server as HttpsServer, ServerOptions as HttpsOptions } from 'node:https';
import {
  createServer as createNetServer,
  type AddressInfo,
  type Server as NetServer,
  type Socket,
} from 'node:net';
import type { TlsSettings } from '../config/bus-config';

/**
 * TLS 1.2 suites the bus offers: forward-secret key exchange (ECDHE) and AEAD ciphers only — no
 * RSA key exchange, no CBC. TLS 1.3's own suites are all of that kind and left to OpenSSL.
 */
export const TLS12_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

/** A connection that has not said whether it speaks TLS within this time is closed. */
const FIRST_BYTE_TIMEOUT_MS = 10_000;
/** The first byte of a TLS handshake record. */
const TLS_HANDSHAKE = 0x16;

/** The options of the bus's HTTPS server, read from the files named in the configuration. */
export function httpsOptions(tls: TlsSettings): HttpsOptions {
  return {
    ...secureContextOptions(tls),
    // Asked for, never required here: each endpoint's authentication decides (mTLS, HMAC or both),
    // with the bus's own chain and revocation checks rather than OpenSSL's.
    requestCert: tls.caFile !== null,
    rejectUnauthorized: false,
  };
}

/** Certificate, key, client CAs and the protocol policy: what a renewal replaces, whole. */
function secureContextOptions(
  tls: TlsSettings,
): Pick<HttpsOptions, 'cert' | 'key' | 'ca' | 'minVersion' | 'ciphers' | 'honorCipherOrder'> {
  return {
    cert: readFileSync(tls.certFile),
    key: readFileSync(tls.keyFile),
    ...(tls.caFile ? { ca: readFileSync(tls.caFile) } : {}),
    minVersion: 'TLSv1.2',
    ciphers: TLS12_CIPHERS,
    honorCipherOrder: true,
  };
}

/**
 * The bus's one port. Without TLS, Nest's HTTP server listens on it. With TLS, a small front
 * listens instead and reads each connection's first byte: a TLS handshake goes to the HTTPS
 * server (Nest's, created with `httpsOptions`), anything else to the plaintext policy — closed,
 * redirected (console) or refused (bridges), or served during a migration. A renewed certificate
 * is taken from disk on SIGHUP or when the files change, for new connections; open ones go on.
 */
export class BusListener {
  private readonly logger = new Logger('listener');
  private front: NetServer | null = null;
  private plain: Server | null = null;
  private ticketTimer: NodeJS.Timeout | null = null;
  private readonly onHangup = () => this.reload('SIGHUP');

  private constructor(
    private readonly app: INestApplication,
    private readonly tls: TlsSettings | null,
  ) {}

  static async listen(app: INestApplication, port: number, tls: TlsSettings | null): Promise<BusListener> {
    const listener = new BusListener(app, tls);
    await listener.start(port);
    return listener;
  }

  get secure(): boolean {
    return this.tls !== null;
  }

  address(): AddressInfo {
    const server = this.front ?? (this.app.getHttpServer() as Server);
    return server.address() as AddressInfo;
  }

  /** `http(s)://127.0.0.1:<port>`: how a client on this machine reaches the bus. */
  localUrl(): string {
    return `${this.secure ? 'https' : 'http'}://127.0.0.1:${this.address().port}`;
  }

  private async start(port: number): Promise<void> {
    if (!this.tls) {
      await this.app.listen(port, '0.0.0.0');
      return;
    }
    await this.app.init();
    const secure = this.app.getHttpServer() as HttpsServer;
    this.rotateTicketKeys(secure, this.tls.ticketRotationSeconds);
    this.plain = this.plaintextServer(this.tls.plaintext);
    const front = createNetServer({ pauseOnConnect: true }, (socket) => this.dispatch(socket, secure));
    await new Promise<void>((resolve, reject) => {
      front.once('error', reject);
      front.listen(port, '0.0.0.0', () => resolve());
    });
    this.front = front;
    for (const file of [this.tls.certFile, this.tls.keyFile]) {
      watchFile(file, { interval: 5000, persistent: false }, () => this.reload(`${file} changed`));
    }
    process.on('SIGHUP', this.onHangup);
  }

  /** Hands a connection to the HTTPS or the plaintext server by its first byte. */
  private dispatch(socket: Socket, secure: HttpsServer): void {
    socket.setTimeout(FIRST_BYTE_TIMEOUT_MS, () => socket.destroy());
    socket.on('error', () => socket.destroy());
    const sniff = () => {
      const first = socket.read(1) as Buffer | null;
      if (first === null) return void socket.once('readable', sniff);
      socket.setTimeout(0);
      socket.unshift(first);
      if (first[0] === TLS_HANDSHAKE) secure.emit('connection', socket);
      else if (this.plain) this.plain.emit('connection', socket);
      else socket.destroy();
    };
    socket.once('readable', sniff);
    socket.read(0);
  }

  private plaintextServer(mode: TlsSettings['plaintext']): Server | null {
    if (mode === 'off') return null;
    if (mode === 'on') return createHttpServer(this.app.getHttpAdapter().getInstance() as Application);
    return createHttpServer((req, res) => plaintextRefusal(req, res));
  }

  /**
   * New session ticket keys now and then: a stolen key opens only the sessions resumed within one
   * period, and old tickets stop working (a full handshake follows).
   */
  private rotateTicketKeys(server: HttpsServer, seconds: number): void {
    server.setTicketKeys(randomBytes(48));
    this.ticketTimer = setInterval(() => server.setTicketKeys(randomBytes(48)), seconds * 1000);
    this.ticketTimer.unref();
  }

  /** Takes the certificate and key from disk again; a file caught half-written keeps the old ones. */
  reload(why: string): void {
    if (!this.tls) return;
    try {
      (this.app.getHttpServer() as HttpsServer).setSecureContext(secureContextOptions(this.tls));
      this.logger.log(`TLS certificate reloaded (${why})`);
    } catch (error) {
      this.logger.warn(`TLS certificate not reloaded (${why}): ${String(error)}; the previous one stays`);
    }
  }

  /** Stops accepting connections; the app's close ends the ones open. */
  async close(): Promise<void> {
    process.off('SIGHUP', this.onHangup);
    if (this.tls) for (const file of [this.tls.certFile, this.tls.keyFile]) unwatchFile(file);
    if (this.ticketTimer) clearInterval(this.ticketTimer);
    const front = this.front;
    this.front = null;
    if (front) await new Promise<void>((resolve) => front.close(() => resolve()));
    this.plain?.closeAllConnections();
    (this.app.getHttpServer() as HttpsServer | Server).closeIdleConnections();
  }
}

/**
 * Plaintext while TLS is on, in `redirect` mode: a person's browser asking for the console is sent
 * to https (308 keeps the method); everything else — bridges, REST, metrics — is refused, since a
 * client that follows a redirect would have sent its credentials and its package in clear already.
 */
function plaintextRefusal(req: IncomingMessage, res: ServerResponse): void {
  const path = req.url ?? '/';
  const host = req.headers.host;
  if (host && /^[A-Za-z0-9.:[\]-]+$/.test(host) && (path === '/' || path.startsWith('/console'))) {
    res.writeHead(308, { location: `https://${host}${path}`, 'content-length': '0' }).end();
    return;
  }
  const body = 'this bus accepts HTTPS only: connect with https:// on the same port\n';
  res
    .writeHead(426, {
      upgrade: 'TLS/1.3, TLS/1.2',
      connection: 'close, upgrade',
      'content-type': 'text/plain; charset=utf-8',
      'content-length': String(Buffer.byteLength(body)),
    })
    .end(body);
}

/** HSTS on every answer given over TLS (or through a trusted proxy that terminated it). */
export function strictTransportSecurity(req: Request, res: Response, next: () => void): void {
  if (req.secure) res.setHeader('strict-transport-security', 'max-age=31536000; includeSubDomains');
  next();
}

/**
 * Where the serving bus's listener is kept, so that whoever holds the app can ask for its address
 * and the app's shutdown stops the listener with it.
 */
@Injectable()
export class HttpEndpoint implements BeforeApplicationShutdown {
  listener: BusListener | null = null;

  async beforeApplicationShutdown(): Promise<void> {
    await this.listener?.close();
  }
}
