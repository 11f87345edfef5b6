import { Injectable } from '@nestjs/common';
import { Clock } from '../../shared/clock';
import {
  ConfiguredCertificates,
  ConsoleReadModel,
  type OperationalFigures,
} from '../console-read-model.port';

export interface OperationalHealth extends Omit<OperationalFigures, 'signers'> {
  /** Every certificate whose expiry would stop traffic: signers in use, trust anchors, CAs, the bus's own. */
  certificates: Array<{ kind: string; subject: string; organId: string | null; notAfter: Date }>;
}

/**
 * What an operator's monitoring watches besides the traffic (exported as metrics, alerted on by
 * the rules in ops/prometheus): certificates before they expire, revocation sources that keep
 * failing, an audit sealer that falls behind, standbys that lag.
 */
@Injectable()
export class GetOperationalHealth {
  constructor(
    private readonly read: ConsoleReadModel,
    private readonly configured: ConfiguredCertificates,
    private readonly clock: Clock,
  ) {}

  async execute(): Promise<OperationalHealth> {
    const { signers, ...figures } = await this.read.operationalFigures(this.clock.now());
    return {
      ...figures,
      certificates: [
        ...this.configured.list().map((c) => ({
          kind: c.source,
          subject: c.subject,
          organId: c.organId,
          notAfter: c.notAfter,
        })),
        ...signers.map((s) => ({ kind: 'signer', ...s })),
      ],
    };
  }
}
