import { Injectable } from '@nestjs/common';
import { AuditLogRepository, AuditSigner } from '../audit-log-repository.port';
import { checkpointMessage, seal } from '../domain/audit-chain';
import type { SignedCheckpoint } from '../domain/audit-verification';
import { Clock } from '../../shared/clock';

const BATCH = 1000;

/** Appends recorded events to the hash chain, in order; returns how many it sealed. */
@Injectable()
export class SealAuditLog {
  constructor(private readonly log: AuditLogRepository) {}

  async execute(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.log.sealPending(BATCH, seal);
      total += n;
      if (n < BATCH) return total;
    }
  }
}

/**
 * Signs the chain head with the bus's key, so an auditor can check offline that the chain up to
 * there is the bus's. Nothing to sign if the head has not moved since the last checkpoint.
 */
@Injectable()
export class SignAuditCheckpoint {
  constructor(
    private readonly log: AuditLogRepository,
    private readonly signer: AuditSigner,
    private readonly clock: Clock,
  ) {}

  async execute(): Promise<SignedCheckpoint | null> {
    const head = await this.log.head();
    if (!head) return null;
    const last = await this.log.lastCheckpoint();
    if (last && last.seq >= head.seq) return null;
    const at = this.clock.now();
    const signed = this.signer.sign(checkpointMessage({ seq: head.seq, hash: head.hash, at }));
    const checkpoint: SignedCheckpoint = { seq: head.seq, hash: head.hash, at, ...signed };
    await this.log.addCheckpoint(checkpoint);
    return checkpoint;
  }
}
