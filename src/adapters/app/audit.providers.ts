import { Logger, type Provider } from '@nestjs/common';
import { createPrivateKey, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { DataSource } from 'typeorm';
import { AuditLogRepository, AuditSigner } from '../../modules/audit/audit-log-repository.port';
import { ExportAuditTrail } from '../../modules/audit/use-cases/export-audit-trail.use-case';
import { SealAuditLog, SignAuditCheckpoint } from '../../modules/audit/use-cases/seal-audit-log.use-case';
import type { BusConfig } from '../config/bus-config';
import { PgAuditLog } from '../postgres/pg-audit-log.repository';

/** Signs checkpoints with the bus's receipt key (RSA or ECDSA, SHA-256). */
export class KeyAuditSigner extends AuditSigner {
  private readonly key: KeyObject;
  private readonly certificate: string;

  constructor(keyPem: string, certPem: string) {
    super();
    this.key = createPrivateKey(keyPem);
    this.certificate = new X509Certificate(certPem).toString();
  }

  sign(message: Buffer): { algorithm: string; signature: string; certificate: string } {
    const algorithm = this.key.asymmetricKeyType === 'ec' ? 'ECDSA-SHA256' : 'RSA-SHA256';
    return {
      algorithm,
      signature: sign('sha256', message, this.key).toString('base64'),
      certificate: this.certificate,
    };
  }
}

/**
 * Seals recorded events into the chain every `sealIntervalMs`, and signs the head every
 * `checkpointIntervalMs`. Runs in every serving bus; the database lock lets one seal at a time.
 */
export class AuditSealer {
  private readonly logger = new Logger('audit');
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private lastCheckpoint = 0;
  private stopped = false;

  constructor(
    private readonly seal: SealAuditLog,
    private readonly checkpoint: SignAuditCheckpoint,
    private readonly intervals: { sealMs: number; checkpointMs: number },
  ) {}

  start(): void {
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick().finally(() => {
        this.running = null;
        this.schedule();
      });
    }, this.intervals.sealMs);
  }

  private async tick(): Promise<void> {
    try {
      await this.seal.execute();
      if (Date.now() - this.lastCheckpoint >= this.intervals.checkpointMs) {
        this.lastCheckpoint = Date.now();
        await this.checkpoint.execute();
      }
    } catch (error) {
      this.logger.warn(`audit sealing postponed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

export function auditProviders(config: BusConfig, options: { ingress: boolean }): Provider[] {
  return [
    { provide: AuditLogRepository, useFactory: (db: DataSource) => new PgAuditLog(db), inject: [DataSource] },
    {
      provide: AuditSigner,
      useFactory: () => {
        if (config.busSigning) return new KeyAuditSigner(config.busSigning.keyPem, config.busSigning.certPem);
        return {
          sign: () => {
            throw new Error('no bus signing key configured (BUS_SIGNING_KEY, BUS_SIGNING_CERT)');
          },
        };
      },
    },
    SealAuditLog,
    SignAuditCheckpoint,
    ExportAuditTrail,
    {
      provide: AuditSealer,
      useFactory: (seal: SealAuditLog, checkpoint: SignAuditCheckpoint) =>
        options.ingress
          ? new AuditSealer(seal, checkpoint, {
              sealMs: config.audit.sealIntervalMs,
              checkpointMs: config.audit.checkpointIntervalMs,
            })
          : null,
      inject: [SealAuditLog, SignAuditCheckpoint],
    },
  ];
}
